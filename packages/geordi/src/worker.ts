import { hostname } from 'node:os'
import { checkNumber, checkObject, optional, rejectUnknownKeys, reportDiagnostic } from '@intro/core'
import type { Job, Worker } from 'bullmq'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import { assertJobData } from './job-data.js'
import { type LoadedApp, loadApp } from './load-app.js'
import { resolveWorkerOptions } from './options.js'
import { JOB_NAME } from './queue-dispatcher.js'
import { createRedis } from './redis-connection.js'
import { sharedRenderThread } from './render-thread.js'
import { isFinal, ResultStore } from './result-store.js'
import { runJob } from './run-job.js'
import type { GeordiWorkerOptions } from './types.js'

/** A running geordi worker. */
export interface GeordiWorker {
  /** `host (pid N)`, as written in results and the `X-Geordi-Worker-Host` header. */
  readonly host: string
  /** Where the app listens inside this process for replays. */
  readonly appPort: number
  /** The BullMQ worker, for events (`completed`, `failed`...). */
  readonly worker: Worker
  /**
   * Stops taking jobs, waits for the running ones, closes Redis and the app's server. A replay
   * still running after `graceMs` is aborted: its job fails with `ERR_GEORDI_WORKER_STOPPED`
   * (jobs run once, so none is handed to another worker) and the admin's page says so.
   */
  close(options?: GeordiWorkerCloseOptions): Promise<void>
}

/** Options of {@link GeordiWorker.close}. */
export interface GeordiWorkerCloseOptions {
  /**
   * How long running jobs may take to finish before their replays are aborted.
   * @defaultValue Infinity (wait for them)
   */
  graceMs?: number
}

interface ActiveJob {
  controller: AbortController
}

/**
 * Starts a geordi worker: loads the app, listens for it on an ephemeral 127.0.0.1 port, and
 * processes profiling jobs from the BullMQ queue, each run once (no retries, a stalled job
 * fails instead of running again). Job data, credentials included, is removed from Redis as
 * soon as the job settles, and is never logged.
 *
 * While a job runs, an uncaught exception or unhandled rejection from the app fails that job
 * with `ERR_GEORDI_APP_CRASHED` and the worker carries on; if the process exits meanwhile
 * (`process.exit` in the app), the job is recorded as failed on the way out.
 *
 * @example
 * ```ts
 * const worker = await startGeordiWorker({ app: './dist/app.js', redisUrl: 'redis://127.0.0.1:6379' })
 * process.on('SIGTERM', () => worker.close())
 * ```
 */
export async function startGeordiWorker(options: GeordiWorkerOptions): Promise<GeordiWorker> {
  const resolved = resolveWorkerOptions(options)
  const store = new ResultStore(resolved.outDir)
  // An unsafe results directory stops the worker before it loads the app or takes a job.
  store.verify()
  const host = `${hostname()} (pid ${process.pid})`
  const app: LoadedApp = await loadApp(resolved.app)
  // A worker renders every job: its render thread starts now and loads the renderer (pdfkit,
  // Graphviz as WASM, ~100–300 ms) rather than inside the first job's render time, and stays.
  const renderThread = sharedRenderThread()
  renderThread.idleMs = Number.POSITIVE_INFINITY
  renderThread.warm()
  // Imported here: `@intro/geordi` also serves web processes, which need bullmq only to queue.
  const { Worker: BullWorker } = await import('bullmq')
  const active = new Map<string, ActiveJob>()

  const onCrash = (error: unknown) => {
    reportDiagnostic({ level: 'error', scope: 'geordi.worker', message: 'the app threw an uncaught exception during a job', error })
    const reason = new GeordiError(`the app crashed during the replay: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, {
      code: GeordiErrorCodes.appCrashed,
      cause: error,
    })
    for (const job of active.values()) job.controller.abort(reason)
  }
  const onExit = (code: number) => {
    for (const id of active.keys()) {
      try {
        markFailedSync(store, id, GeordiErrorCodes.workerLost, `the worker process exited (code ${code}) while running the job`)
      } catch {
        // Nothing more can be done while exiting.
      }
    }
  }
  process.on('uncaughtException', onCrash)
  process.on('exit', onExit)

  const processor = async (job: Job) => {
    if (job.name !== JOB_NAME) throw new GeordiError(`not a geordi job: ${job.name}`, { code: GeordiErrorCodes.badJob })
    assertJobData(job.data)
    const data = { ...job.data, timeLimitMs: Math.min(job.data.timeLimitMs, resolved.maxTimeLimitMs) }
    const controller = new AbortController()
    active.set(data.id, { controller })
    try {
      const final = await runJob(data, {
        store,
        target: app.target,
        workerHost: host,
        signal: controller.signal,
        onStage: (stage) => void job.updateProgress({ stage }).catch(() => undefined),
        ...(resolved.callGraphMaxNodes === undefined ? {} : { callGraphMaxNodes: resolved.callGraphMaxNodes }),
      })
      // Failing the BullMQ job too keeps queue metrics honest; the reason holds no request data.
      if (final?.state === 'failed') throw new Error(final.error?.code ?? 'failed')
      return { state: final?.state ?? 'skipped' }
    } finally {
      active.delete(data.id)
      store.sweep().catch(() => undefined)
    }
  }

  const connection = createRedis(resolved.redisUrl, resolved.redisOptions, 'worker')
  connection.on('error', (error) => reportDiagnostic({ level: 'warn', scope: 'geordi.worker', message: 'Redis connection error', error }))
  const worker = new BullWorker(resolved.queueName, processor, {
    connection,
    prefix: resolved.queuePrefix,
    concurrency: resolved.concurrency,
    name: host,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
    // The request runs once: a job whose worker died is failed, never handed to another worker.
    maxStalledCount: 0,
    autorun: false,
  })
  worker.on('error', (error) => reportDiagnostic({ level: 'warn', scope: 'geordi.worker', message: 'worker error', error }))
  void worker.run().catch((error: unknown) => reportDiagnostic({ level: 'error', scope: 'geordi.worker', message: 'worker stopped', error }))
  await worker.waitUntilReady()

  let closing: Promise<void> | undefined
  return {
    host,
    appPort: app.target.port,
    worker,
    close(closeOptions = {}) {
      checkObject('close options', closeOptions)
      rejectUnknownKeys('close options', closeOptions, ['graceMs'])
      const graceMs = optional(closeOptions.graceMs, (value) => checkNumber('graceMs', value, { min: 0 }), Number.POSITIVE_INFINITY)
      closing ??= (async () => {
        const graceful = worker.close()
        if (Number.isFinite(graceMs)) await abortAfter(graceful, graceMs, active)
        await graceful
        connection.disconnect()
        await renderThread.close()
        await app.close()
        process.off('uncaughtException', onCrash)
        process.off('exit', onExit)
      })()
      return closing
    },
  }
}

/**
 * Waits up to `graceMs` for BullMQ's graceful close, then aborts the replays still running:
 * each job ends as failed at once (a render in progress is bounded by `renderTimeoutMs`).
 */
async function abortAfter(graceful: Promise<void>, graceMs: number, active: Map<string, ActiveJob>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs)
  })
  const timedOut = await Promise.race([graceful.then(() => false), expired])
  clearTimeout(timer)
  if (!timedOut) return
  const reason = new GeordiError(`the worker was stopped and the job did not finish within ${graceMs} ms`, { code: GeordiErrorCodes.workerStopped })
  for (const job of active.values()) job.controller.abort(reason)
}

/** Best effort on the way out of the process: only synchronous file system calls run there. */
function markFailedSync(store: ResultStore, id: string, code: string, message: string): void {
  const status = store.readSync(id)
  if (status === undefined || isFinal(status)) return
  store.writeSync({ ...status, state: 'failed', stage: undefined, finishedAt: Date.now(), updatedAt: Date.now(), error: { code, message } })
}
