// One arm of the full-stack benchmark, in its own process: the demo's news-feed app (the very
// code `npm run demo` runs) with no instrumentation, with all four intro packages, or with
// OpenTelemetry (this file is then started with `--import ./otel-register.mjs`).
//   node server.mjs bare|intro|otel
// Talks to the scenario through bench/lib/forked-arm.mjs (ready, CPU time, SIGTERM).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startInstrumentation } from '@intro/demo/dist/app/instrumentation.js'
import { noInstrumentation, startApp } from '@intro/demo/dist/app/start-app.js'
import { serveArm } from '../lib/forked-arm.mjs'

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
serveArm({
  port: app.port,
  close: async () => {
    await app.close()
    await globalThis.__benchOtelShutdown?.()
  },
})
