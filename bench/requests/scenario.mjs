// Per-request cost of the toolkit on the smallest handler, every arm side by side in one run: a
// `node:http` hello world bare; inside AsyncLocalStorage#run alone (the floor of anything that
// carries a request context on this Node line); core's wrapHandler; dogslow (idle); core with
// @intro/stats request metrics; dogslow with stats. Each arm is its own process
// (bench/lib/hello-arm.mjs); StatsD is a UDP socket that receives and counts.
// One table per Node line: `node run.mjs requests` under each supported Node (docs/benchmarks.md).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runHttpScenario, startForkedArm, startStatsdSink } from '../lib/index.mjs'
import { runInProcess } from './in-process.mjs'

const helloArm = fileURLToPath(new URL('../lib/hello-arm.mjs', import.meta.url))
const major = process.versions.node.split('.')[0]
const statsd = await startStatsdSink()
const outDir = mkdtempSync(join(tmpdir(), 'intro-bench-requests-'))
const env = { STATSD_PORT: String(statsd.port), BENCH_OUT_DIR: outDir }
const arm = (name) => () => startForkedArm({ script: helloArm, args: [name], env })

let result
try {
  result = await runHttpScenario({
    name: `requests-node${major}`,
    title: `Per-request cost on a node:http hello world, Node ${process.version}`,
    description:
      'A hello-world `node:http` handler, each arm in its own process, all arms alternating in one run: bare; inside ' +
      '`AsyncLocalStorage#run` alone (the floor of any tool that carries a request context on this Node line); core\'s ' +
      '`wrapHandler` (context, correlation id, `X-Request-ID` header, lifecycle); `createDogslow().wrap()` (watchdog ' +
      'thread, timer tracing, client integrations, 25 s timer, idle); `wrapHandler` with `@intro/stats` request metrics ' +
      '(route/method/status-class timer and status counter, aggregated in the process and sent once per ' +
      '`flushIntervalMs` to a UDP socket); and dogslow with `createStats()` (its defaults: every request recorded, ' +
      'integrations on). The per-request targets compare server CPU per request (median over rounds of the ' +
      'difference within a round).',
    arms: [
      { name: 'bare node:http', start: arm('bare') },
      { name: 'AsyncLocalStorage#run only', start: arm('als') },
      { name: 'core wrapHandler', start: arm('core') },
      { name: 'dogslow (idle)', start: arm('dogslow') },
      { name: 'core + stats request metrics', start: arm('stats') },
      { name: 'dogslow + stats', start: arm('dogslow-stats') },
    ],
    durationSec: 3,
    rounds: 5,
    connections: 10,
    targets: [
      { arm: 'core wrapHandler', baseline: 'AsyncLocalStorage#run only', maxExtraUs: 1.5, label: 'core adapter ≤ ALS floor + 1.5 µs' },
      { arm: 'dogslow (idle)', baseline: 'core wrapHandler', maxExtraUs: 0.5, label: 'dogslow idle ≤ core + 0.5 µs' },
      { arm: 'core + stats request metrics', baseline: 'core wrapHandler', maxExtraUs: 1, label: 'stats request metrics ≤ core + 1 µs' },
      ...['core wrapHandler', 'dogslow (idle)', 'core + stats request metrics', 'dogslow + stats'].map((name) => ({
        arm: name,
        minRatio: 0.9,
        metric: 'cpu',
        label: `${name} keeps ≥ 90 % of bare CPU-bound throughput`,
      })),
    ],
  })
  const inProcess = await runInProcess({ name: `requests-in-process-node${major}`, statsdPort: statsd.port })
  for (const a of inProcess.arms) console.log(`${a.name}: ${a.median} ns/request (+${a.overheadNs})`)
} finally {
  await statsd.close()
  rmSync(outDir, { recursive: true, force: true })
}
for (const a of result.arms) {
  console.log(a.median === undefined ? `${a.name}: failed (${a.error})` : `${a.name}: ${a.cpuUsPerRequest} µs CPU/request, ${Math.round(a.median)} req/s`)
}
if (!/http\.request\.unmatched\.GET\.2xx:/.test(statsd.sample)) {
  console.error(`✗ the stats arms sent no request timer (${statsd.datagrams} datagrams)`)
  process.exitCode = 1
}
if (result.arms.some((a) => a.median === undefined)) process.exitCode = 1
