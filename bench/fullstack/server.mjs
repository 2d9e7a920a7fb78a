// One arm of the full-stack benchmark, in its own process: the demo's news-feed app (the very
// code `npm run demo` runs) with no instrumentation, with all four intro packages, or with
// OpenTelemetry (this file is then started with `--import ./otel-register.mjs`).
//   node server.mjs bare|intro|otel
// Reports { type: 'ready', port } over IPC; stops on SIGTERM or when the parent goes away.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startInstrumentation } from '@intro/demo/dist/app/instrumentation.js'
import { noInstrumentation, startApp } from '@intro/demo/dist/app/start-app.js'

const arm = process.argv[2]
if (!['bare', 'intro', 'otel'].includes(arm)) throw new TypeError(`Expected the arm to be bare, intro or otel, got \`${arm}\``)
const outDir = process.env.BENCH_OUT_DIR
mkdirSync(join(outDir, arm), { recursive: true })

const config = {
  port: 0,
  databaseUrl: process.env.DATABASE_URL,
  statsdHost: '127.0.0.1',
  statsdPort: Number(process.env.STATSD_PORT),
  dogslowDir: join(outDir, arm, 'dogslow'),
  geordiDir: join(outDir, arm, 'geordi'),
  logPath: join(outDir, arm, 'app.log'),
  redisUrl: undefined,
  // The production default: nothing in this load is slow, so the watchdog stays idle.
  dogslowTimerSeconds: 25,
  trendingBlockMs: 3000,
  slowReportSeconds: 3,
  searchTimeoutMs: 100,
}

const app = await startApp(config, arm === 'intro' ? startInstrumentation(config) : noInstrumentation)
process.send({ type: 'ready', port: app.port })

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await app.close()
  await globalThis.__benchOtelShutdown?.()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('disconnect', stop)
