// Per-call cost of @intro/cow's withTimeout when the block does NOT time out, against the
// alternatives, all in one process run (arms alternate every round):
//   synchronous: a plain call, withTimeout, withTimeout with a block that takes the signal,
//                vm.Script#runInThisContext({ timeout }) (Node's own preemptible call);
//   async:       a plain await, withTimeout, p-timeout, AbortSignal.timeout.
// Target from the issue: ≤ 5 µs per synchronous call.
import vm from 'node:vm'
import { runMicroScenario } from '../lib/index.mjs'

let cow
try {
  cow = await import('@intro/cow')
} catch (error) {
  throw new Error(`@intro/cow is not built or does not load (${error.message}): run \`pnpm turbo run build\` first`)
}
const { default: pTimeout } = await import('p-timeout')
const { withTimeout, preemptionMode } = cow

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

await runMicroScenario({
  name: 'cow',
  title: 'withTimeout per-call overhead (no timeout)',
  description:
    `Nanoseconds per call of a trivial block under a 1 s limit that is never reached. ` +
    `Synchronous blocks are preempted through \`${preemptionMode()}\`. The first four arms are synchronous, ` +
    'the last four asynchronous (each awaits the promise). "takes the signal" is a block that declares the ' +
    '`signal` parameter, so an AbortController and its signal are created per call. ' +
    'Target from the issue: ≤ 5 µs (5,000 ns) per synchronous call.',
  iterations: 10_000,
  rounds: 7,
  arms: [
    { name: 'sync: plain call', fn: () => work() },
    { name: 'sync: withTimeout', fn: () => withTimeout(1_000, RuntimeError, work) },
    { name: 'sync: withTimeout, block takes the signal', fn: () => withTimeout(1_000, RuntimeError, (_signal) => work()) },
    { name: 'sync: vm runInThisContext({ timeout })', fn: () => script.runInThisContext({ timeout: 1_000 }) },
    { name: 'async: plain await', fn: () => asyncWork() },
    { name: 'async: withTimeout, block takes the signal', fn: () => withTimeout(1_000, RuntimeError, (_signal) => asyncWork()) },
    { name: 'async: p-timeout', fn: () => pTimeout(asyncWork(), { milliseconds: 1_000 }) },
    { name: 'async: AbortSignal.timeout', fn: () => asyncWork(AbortSignal.timeout(1_000)) },
  ],
})
if (sink === 0) throw new Error('unreachable')
