/**
 * With `REDIS_URL`, geordi queues profiling jobs on BullMQ instead of profiling inside the web
 * process: this process is the worker that runs them, replaying each request against its own
 * copy of the news-feed app under the V8 CPU profiler. It writes results to the same folder the
 * web process serves them from.
 */
import { startGeordiWorker } from '@intro/geordi'
import { appConfigFromEnv } from './config.js'
import { startInstrumentation } from './instrumentation.js'
import { buildApp } from './start-app.js'

/** Sent over IPC once the worker takes jobs. */
export interface WorkerReadyMessage {
  type: 'ready'
  host: string
}

async function main(): Promise<void> {
  const config = appConfigFromEnv()
  if (config.redisUrl === undefined) throw new TypeError('Expected REDIS_URL to be set for the geordi worker')
  const built = await buildApp(config, startInstrumentation(config, { geordi: false }))
  const worker = await startGeordiWorker({ app: built.app, redisUrl: config.redisUrl, outDir: config.geordiDir })
  const ready: WorkerReadyMessage = { type: 'ready', host: worker.host }
  process.send?.(ready)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    worker
      .close()
      .then(() => built.close())
      .finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  process.once('disconnect', stop)
}

main().catch((error: unknown) => {
  console.error('geordi worker failed to start:', error)
  process.exit(1)
})
