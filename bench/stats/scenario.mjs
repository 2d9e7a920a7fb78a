// @intro/stats: (1) the cost of commenting one SQL query, ours against OpenTelemetry's
// sqlcommenter (`@opentelemetry/sql-common`) in the same process run, target ≤ 1 µs per query;
// (2) request-metrics middleware overhead on a node:http hello world, with StatsD listening and
// with StatsD down.
import { createSocket } from 'node:dgram'
import { fileURLToPath } from 'node:url'
import { loadBuilt, runHttpScenario, runMicroScenario, startForkedArm } from '../lib/index.mjs'

// One table per Node line: `node run.mjs NAME` under each supported Node (see docs/benchmarks.md).
const major = process.versions.node.split('.')[0]

const core = await loadBuilt('@intro/core')
const stats = await loadBuilt('@intro/stats')

// ---- SQL comments ----------------------------------------------------------------------------

const SQL = 'SELECT id, email, created_at FROM users WHERE id = $1 AND deleted_at IS NULL'

async function sqlArms() {
  const arms = [
    { name: 'no comment', fn: () => SQL.length },
    { name: '@intro/stats commentSql', fn: () => stats.commentSql(SQL).length },
  ]
  try {
    const api = await import('@opentelemetry/api')
    const { addSqlCommenterComment } = await import('@opentelemetry/sql-common')
    const span = api.trace.wrapSpanContext({
      traceId: '5f0c3a2b9d8e4f10a1b2c3d4e5f60718',
      spanId: 'a1b2c3d4e5f60718',
      traceFlags: api.TraceFlags.SAMPLED,
    })
    arms.push({ name: 'OpenTelemetry addSqlCommenterComment', fn: () => addSqlCommenterComment(span, SQL).length })
  } catch (error) {
    arms.push({
      name: 'OpenTelemetry addSqlCommenterComment',
      fn: () => {
        throw new Error(`@opentelemetry/sql-common does not load here: ${error.message}`)
      },
    })
  }
  return arms
}

// One request context for the whole run, as the queries of one request share it.
const sqlResult = await core.runWithContext({ id: '5f0c3a2b-9d8e-4f10-a1b2-c3d4e5f60718' }, async () =>
  runMicroScenario({
    name: 'stats-sql-comment',
    title: 'Commenting one SQL query (sqlcommenter format)',
    description:
      'ns per query to add the correlation-id comment to a 76-character SELECT inside a request, against ' +
      "OpenTelemetry's `addSqlCommenterComment` (traceparent of a non-recording span) in the same process. " +
      'Target from the issue: ≤ 1 µs per query.',
    arms: await sqlArms(),
    iterations: 200_000,
    rounds: 7,
  }),
)
for (const arm of sqlResult.arms) {
  console.log(arm.median === undefined ? `${arm.name}: failed (${arm.error})` : `${arm.name}: ${arm.median} ns/op`)
}
const ours = sqlResult.arms[1]
console.log(`target ≤ 1000 ns per query: ${ours?.overheadNs !== undefined && ours.overheadNs <= 1000 ? 'met' : 'NOT met'}`)

// ---- request hooks, per request -------------------------------------------------------------

// The HTTP arms below share two cores with the load generator and whatever else runs; this
// measures the same per-request work (timer, counter, in-flight count, UDP buffering) in-process.
async function hookArms(sinkPort) {
  const up = stats.createStats({ host: '127.0.0.1', port: sinkPort, requests: false, processIntervalMs: 0 })
  const down = stats.createStats({ host: '127.0.0.1', port: 9, requests: false, processIntervalMs: 0 })
  const context = new core.RequestContext({ method: 'GET', url: 'http://127.0.0.1/users/42' })
  context.setRoute('/users/:id')
  const info = { statusCode: 200, durationMs: 1.234 }
  // Every 64th request yields to the event loop, as a server does between requests, so sent
  // packets complete instead of piling up to the in-flight limit (where metrics are dropped).
  const yieldEvery = (fn) => {
    let calls = 0
    return () => {
      fn()
      if (++calls % 64 === 0) return new Promise((resolve) => setImmediate(resolve))
    }
  }
  const request = (hooks) =>
    yieldEvery(() => {
      hooks.onStart(context)
      hooks.onFinish(context, info)
    })
  return {
    arms: [
      { name: 'no hooks', fn: yieldEvery(() => context.route) },
      { name: 'stats hooks, StatsD listening', fn: request(up.hooks) },
      { name: 'stats hooks, StatsD down', fn: request(down.hooks) },
    ],
    dropped: () => ({ up: up.dropped, down: down.dropped }),
    close: () => Promise.all([up.close(), down.close()]),
  }
}

// ---- request middleware ----------------------------------------------------------------------

// A UDP socket that receives and discards, standing in for the StatsD daemon's socket.
const sink = createSocket('udp4')
let packets = 0
sink.on('message', () => {
  packets++
})
await new Promise((resolve) => sink.bind(0, '127.0.0.1', resolve))

const hooks = await hookArms(sink.address().port)
const hooksResult = await runMicroScenario({
  name: 'stats-request-hooks',
  title: 'Request metrics per request (in-process)',
  description:
    'ns per request for the work `@intro/stats` adds to each request (onStart + onFinish: route/method/status-class ' +
    'timer, status counter, in-flight count, aggregated in the process and sent once per flush interval), with StatsD listening and with nothing on the port.',
  arms: hooks.arms,
  iterations: 200_000,
  rounds: 7,
})
console.log('dropped metrics', hooks.dropped())
await hooks.close()
for (const arm of hooksResult.arms) {
  console.log(arm.median === undefined ? `${arm.name}: failed (${arm.error})` : `${arm.name}: ${arm.median} ns/op`)
}

const helloArm = fileURLToPath(new URL('../lib/hello-arm.mjs', import.meta.url))
const arm = (name, statsdPort) => () => startForkedArm({ script: helloArm, args: [name], env: { STATSD_PORT: String(statsdPort ?? 9) } })

const httpResult = await runHttpScenario({
  name: `stats-middleware-node${major}`,
  title: `Request metrics middleware (node:http hello world), Node ${process.version}`,
  description:
    'A hello-world handler (each arm in its own process) wrapped by core\'s `wrapHandler`, without and with `@intro/stats` request metrics ' +
    '(timer by route/method/status class, status counter, in-flight count; aggregated in the process and sent once per `flushIntervalMs`) over UDP to a listening socket, ' +
    'and to a port where nothing listens (StatsD down). Bare `node:http` for reference.',
  arms: [
    { name: 'wrapHandler', start: arm('core') },
    { name: 'bare node:http', start: arm('bare') },
    { name: 'wrapHandler + stats', start: arm('stats', sink.address().port) },
    { name: 'wrapHandler + stats (StatsD down)', start: arm('stats', 9) },
  ],
  durationSec: 2,
  rounds: 5,
  connections: 10,
  target: { arm: 'wrapHandler + stats', minRatio: 0.95, metric: 'cpu', label: 'request metrics keep ≥ 95 % of wrapHandler throughput' },
})
sink.close()
for (const arm of httpResult.arms) {
  console.log(
    arm.median === undefined
      ? `${arm.name}: failed (${arm.error})`
      : `${arm.name}: ${arm.median} req/s (${(arm.ratio * 100).toFixed(1)} % of wrapHandler)`,
  )
}
if (packets === 0) throw new Error('no StatsD packet arrived: the stats arm measured nothing')
if ([...sqlResult.arms.slice(0, 2), ...hooksResult.arms, ...httpResult.arms].some((arm) => arm.median === undefined)) process.exitCode = 1
