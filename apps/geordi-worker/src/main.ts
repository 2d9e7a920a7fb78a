#!/usr/bin/env node
// geordi-worker: runs ?__geordi__ profiling jobs from BullMQ against an app module.
// Thin on purpose: everything lives in @intro/geordi's startGeordiWorker.
import diagnosticsChannel from 'node:diagnostics_channel'
import { parseArgs } from 'node:util'
import { JOB_CHANNEL, startGeordiWorker } from '@intro/geordi'

const USAGE = `usage: geordi-worker --app ./path/to/app.js [--queue name] [--concurrency N] [--redis URL] [--out dir]

  --app           module exporting the app (request listener, Express/Koa app, Fastify
                  instance, http.Server, or a createApp factory)            required
  --queue         BullMQ queue name          env GEORDI_QUEUE        default intro-geordi
  --concurrency   jobs at once               env GEORDI_CONCURRENCY  default 1
  --redis         Redis URL                  env GEORDI_REDIS_URL, REDIS_URL
                                                                     default redis://127.0.0.1:6379
  --out           results directory, shared with the web processes
                                             env GEORDI_OUT_DIR      default <tmpdir>/intro-geordi
`

function fail(message: string): never {
  process.stderr.write(`geordi-worker: ${message}\n\n${USAGE}`)
  process.exit(2)
}

function parse() {
  try {
    return parseArgs({
      options: {
        app: { type: 'string' },
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        redis: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`)
}

const args = parse()
if (args.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
if (!args.app) fail('--app is required')
const concurrency = args.concurrency === undefined ? undefined : Number(args.concurrency)

// Job ids, states and timings only: payloads carry credentials and are never printed.
diagnosticsChannel.subscribe(JOB_CHANNEL, (message) => {
  const job = message as { id: string; state: string; timings?: { wallMs?: number; renderMs?: number }; error?: { code: string } }
  const wall = job.timings?.wallMs === undefined ? '' : ` request ${Math.round(job.timings.wallMs)} ms`
  const render = job.timings?.renderMs === undefined ? '' : ` render ${Math.round(job.timings.renderMs)} ms`
  log(`job ${job.id} ${job.state}${wall}${render}${job.error ? ` ${job.error.code}` : ''}`)
})
diagnosticsChannel.subscribe('intro:diagnostics', (message) => {
  const event = message as { level: string; scope: string; message: string; error?: unknown }
  const cause = event.error instanceof Error ? `: ${event.error.message}` : ''
  log(`${event.level} ${event.scope}: ${event.message}${cause}`)
})

try {
  const worker = await startGeordiWorker({
    app: args.app,
    ...(args.queue === undefined ? {} : { queueName: args.queue }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(args.redis === undefined ? {} : { redisUrl: args.redis }),
    ...(args.out === undefined ? {} : { outDir: args.out }),
  })
  log(`geordi-worker ${worker.host} ready; app on 127.0.0.1:${worker.appPort}`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log(`${signal}: finishing running jobs`)
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
} catch (error) {
  if (error instanceof TypeError || error instanceof RangeError) fail(error.message)
  log(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  process.exit(1)
}
