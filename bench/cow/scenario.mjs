// Per-call cost of @intro/cow's withTimeout when the block does NOT time out, against the
// alternatives, all in one process run (arms alternate every round):
//   synchronous: a plain call, withTimeout through the native watchdog and through the
//                inspector fallback (with and without a block that takes the signal),
//                vm.Script#runInThisContext({ timeout }) (Node's own preemptible call);
//   async:       a plain await, withTimeout (native, inspector), p-timeout, AbortSignal.timeout.
// Target from the issue: ≤ 5 µs per synchronous call.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import vm from 'node:vm'
import { loadBuilt, runMicroScenario } from '../lib/index.mjs'

const cow = await loadBuilt('@intro/cow')
const { default: pTimeout } = await import('p-timeout')

// The mechanism is chosen once per copy of the package, on first use. The inspector arms use a
// second copy of the built package (its dist in a scratch directory) whose first use happens
// under INTRO_COW_PREEMPTION=inspector, so both mechanisms are measured in the same process.
delete process.env.INTRO_COW_PREEMPTION
const nativeMode = cow.preemptionMode()
if (nativeMode !== 'native') console.error(`[cow] the native watchdog did not load (mode: ${nativeMode}); its arms measure ${nativeMode}`)

const cowDir = dirname(dirname(createRequire(import.meta.url).resolve('@intro/cow')))
const copyDir = mkdtempSync(join(tmpdir(), 'intro-bench-cow-'))
process.on('exit', () => rmSync(copyDir, { recursive: true, force: true }))
cpSync(join(cowDir, 'dist'), join(copyDir, 'dist'), { recursive: true })
cpSync(join(cowDir, 'package.json'), join(copyDir, 'package.json'))
mkdirSync(join(copyDir, 'node_modules', '@intro'), { recursive: true })
symlinkSync(join(cowDir, '..', 'core'), join(copyDir, 'node_modules', '@intro', 'core'), 'dir')
const inspectorCow = await import(pathToFileURL(join(copyDir, 'dist', 'index.js')).href)
process.env.INTRO_COW_PREEMPTION = 'inspector'
const inspectorMode = inspectorCow.preemptionMode()
delete process.env.INTRO_COW_PREEMPTION
if (inspectorMode !== 'inspector') throw new Error(`the inspector copy preempts through ${inspectorMode}`)

const withTimeout = cow.withTimeout
const inspectorWithTimeout = inspectorCow.withTimeout

class RuntimeError extends Error {}

let sink = 0
const work = () => {
  sink++
  return sink
}
const asyncWork = async () => {
  sink++
  return sink
}
globalThis.__cowBenchWork = work
const script = new vm.Script('globalThis.__cowBenchWork()')

// One table per Node line: `node run.mjs cow` under each supported Node (see docs/benchmarks.md).
const major = process.versions.node.split('.')[0]

await runMicroScenario({
  name: `cow-node${major}`,
  title: `withTimeout per-call overhead (no timeout), Node ${process.version}`,
  description:
    'Nanoseconds per call of a trivial block under a 1 s limit that is never reached. ' +
    `"native" arms preempt through the package's watchdog addon (mode \`${nativeMode}\` in this run), ` +
    '"inspector" arms through the fallback used where no prebuilt fits (`Runtime.evaluate` with `timeout`), ' +
    'both in the same process. The first six arms are synchronous, the last five asynchronous (each awaits the ' +
    'promise). "takes the signal" is a block that declares the `signal` parameter, so an AbortController and its ' +
    'signal are created per call. Target: ≤ 1 µs (1,000 ns) per synchronous call through the native watchdog, on every supported Node line.',
  iterations: 10_000,
  rounds: 7,
  arms: [
    { name: 'sync: plain call', fn: () => work() },
    { name: 'sync: withTimeout (native)', fn: () => withTimeout(1_000, RuntimeError, work) },
    { name: 'sync: withTimeout (native), block takes the signal', fn: () => withTimeout(1_000, RuntimeError, (_signal) => work()) },
    { name: 'sync: withTimeout (inspector)', fn: () => inspectorWithTimeout(1_000, RuntimeError, work) },
    {
      name: 'sync: withTimeout (inspector), block takes the signal',
      fn: () => inspectorWithTimeout(1_000, RuntimeError, (_signal) => work()),
    },
    { name: 'sync: vm runInThisContext({ timeout })', fn: () => script.runInThisContext({ timeout: 1_000 }) },
    { name: 'async: plain await', fn: () => asyncWork() },
    { name: 'async: withTimeout (native), block takes the signal', fn: () => withTimeout(1_000, RuntimeError, (_signal) => asyncWork()) },
    {
      name: 'async: withTimeout (inspector), block takes the signal',
      fn: () => inspectorWithTimeout(1_000, RuntimeError, (_signal) => asyncWork()),
    },
    { name: 'async: p-timeout', fn: () => pTimeout(asyncWork(), { milliseconds: 1_000 }) },
    { name: 'async: AbortSignal.timeout', fn: () => asyncWork(AbortSignal.timeout(1_000)) },
  ],
})
if (sink === 0) throw new Error('unreachable')
