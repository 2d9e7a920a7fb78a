// The whole toolkit on a realistic app: the demo's news feed (Express 5, pg, pino) serving
// `/feed` — one SQL query per request on embedded PostgreSQL — bare, with all four intro
// packages (dogslow watching, geordi middleware installed, stats sending request and SQL
// timers to StatsD, SQL comments, cow loaded), and with OpenTelemetry's zero-code
// instrumentation for http and pg exporting spans over OTLP/HTTP. Each arm is its own
// process; telemetry goes to real sinks on 127.0.0.1 and is checked after the run, so no arm
// is measured doing less than it claims.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runHttpScenario, startForkedArm, startOtlpSink, startStatsdSink } from '../lib/index.mjs'

const serverScript = fileURLToPath(new URL('./server.mjs', import.meta.url))
const otelRegister = fileURLToPath(new URL('./otel-register.mjs', import.meta.url))

async function loadDemo() {
  try {
    return await import('@intro/demo/dist/database/start-database.js')
  } catch (error) {
    throw new Error(`the demo is not built (${error.message}): run \`pnpm turbo run build\` first`)
  }
}

function startArm(arm, env) {
  return startForkedArm({ script: serverScript, args: [arm], env, execArgv: arm === 'otel' ? ['--import', otelRegister] : [], path: '/feed' })
}

const { startDatabase } = await loadDemo()
const outDir = mkdtempSync(join(tmpdir(), 'intro-bench-fullstack-'))
mkdirSync(join(outDir, 'database'))
const database = await startDatabase({ dir: join(outDir, 'database'), externalUrl: process.env.DATABASE_URL, logStatements: false })
const statsd = await startStatsdSink()
const otlp = await startOtlpSink()
const env = {
  BENCH_OUT_DIR: outDir,
  DATABASE_URL: database.url,
  STATSD_PORT: String(statsd.port),
  OTEL_SERVICE_NAME: 'demo',
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg',
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
}

let result
try {
  result = await runHttpScenario({
    name: 'fullstack',
    title: 'Full stack: the demo app bare, with all four intro packages, and with OpenTelemetry',
    description:
      'The demo news feed (Express 5, `pg`, pino) serving `GET /feed` — one SQL query on embedded PostgreSQL ' +
      '(PGlite in its own process) per request. "intro" installs everything the demo installs: core\'s Express ' +
      'adapter, dogslow (25 s timer, idle), geordi\'s middleware, stats (request, SQL and process metrics to a ' +
      'UDP StatsD sink, SQL comments with the request id, pino mixin). "OpenTelemetry" is ' +
      '`@opentelemetry/sdk-node` with `auto-instrumentations-node` limited to http and pg, exporting spans over ' +
      'OTLP/HTTP (protobuf, batched) to a local sink. Each arm runs in its own process; the database is shared ' +
      'and its single thread bounds all arms alike.',
    arms: [
      { name: 'bare', start: () => startArm('bare', env) },
      { name: 'intro (all four packages)', start: () => startArm('intro', env) },
      { name: 'OpenTelemetry (http + pg)', start: () => startArm('otel', env) },
    ],
    durationSec: 3,
    rounds: 5,
    connections: 10,
  })
} finally {
  await Promise.all([statsd.close(), otlp.close(), database.stop()])
  rmSync(outDir, { recursive: true, force: true })
}

for (const arm of result.arms) {
  console.log(
    arm.median === undefined
      ? `${arm.name}: failed (${arm.error})`
      : `${arm.name}: ${Math.round(arm.median)} req/s (${(arm.ratio * 100).toFixed(1)} % of bare)`,
  )
}
// Each arm must have done the work it is credited with.
const problems = []
if (!/\.http\.request\.feed\.GET\.2xx:/.test(statsd.sample) || !/\.sql\.select:/.test(statsd.sample)) {
  problems.push(`the intro arm sent no request or SQL timers to StatsD (${statsd.datagrams} datagrams)`)
}
const spans = otlp.sample.toString('latin1')
if (otlp.requests === 0 || !spans.includes('pg.query') || !spans.includes('GET')) {
  problems.push(`the OpenTelemetry arm exported no http and pg spans (${otlp.requests} OTLP requests)`)
}
console.log(`telemetry: ${statsd.datagrams} StatsD datagrams, ${otlp.requests} OTLP requests (${Math.round(otlp.bytes / 1024)} KiB)`)
for (const problem of problems) console.error(`✗ ${problem}`)
if (problems.length > 0 || result.arms.some((arm) => arm.median === undefined)) process.exitCode = 1
