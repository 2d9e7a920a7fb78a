#!/usr/bin/env node
// Its declarations use Node's types: a consumer compiling with `"types": []` still gets them.
/// <reference types="node" preserve="true" />
import diagnosticsChannel from 'node:diagnostics_channel'
import { parseArgs } from 'node:util'
import { DIAGNOSTICS_CHANNEL, type DiagnosticEvent } from '@intro/core'
import { isMainModule } from './is-main-module.js'
import { resolveWorkerOptions } from './options.js'
import { JOB_CHANNEL } from './job-channel.js'
import type { JobStatus } from './types.js'
import type { GeordiWorker } from './worker.js'

const usage = `Usage: geordi-worker --app <module> [options]

Runs ?__geordi__ profiling jobs from BullMQ: loads the app module, replays each queued request
against it under the V8 CPU profiler and writes the PDF, SVG and .cpuprofile to the results
directory shared with the web processes.

Options:
  --app <module>       Module exporting the app: a (req, res) listener, an Express/Koa app, a
                       Fastify instance, an http.Server, or a createApp factory     (required)
  --queue <name>       BullMQ queue name; the web side's queueName
                       (env GEORDI_QUEUE, default intro-geordi)
  --concurrency <n>    Jobs run at once by this process (env GEORDI_CONCURRENCY, default 1)
  --redis <url>        Redis URL (env GEORDI_REDIS_URL, then REDIS_URL,
                       default redis://127.0.0.1:6379)
  --out <dir>          Results directory shared with the web processes
                       (env GEORDI_OUT_DIR, default <os tmpdir>/intro-geordi-<uid>)
  --grace-ms <n>       On SIGTERM/SIGINT, how long running jobs may take to finish before
                       their replays are aborted and they fail with ERR_GEORDI_WORKER_STOPPED
                       (env GEORDI_SHUTDOWN_GRACE_MS, default 25000: under Kubernetes' 30 s)
  -h, --help           Show this help

Logs one line per job (id, state, timings; never the request) and intro diagnostics on stderr.
Stops on SIGTERM or SIGINT once running jobs finish (or the grace period ends); a second
signal stops at once. Exit codes: 0 stopped by a signal, 1 the worker could not start or stop cleanly, 2 bad arguments.`

/** A mistake on the command line: printed with the usage, exit 2. */
class UsageError extends Error {}

/** Where {@link runWorkerCli} writes; the process's streams unless a caller captures them. */
export interface WorkerCliOutput {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

const cliOptions = {
  app: { type: 'string' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
  redis: { type: 'string' },
  out: { type: 'string' },
  'grace-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Parsed = ReturnType<typeof parseArgs<{ args: string[]; options: typeof cliOptions }>>['values']

function parseCli(argv: string[]): Parsed {
  try {
    return parseArgs({ args: argv, options: cliOptions }).values
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < 1 || number > 1000) {
    throw new UsageError(`--concurrency expects an integer from 1 to 1000, got "${value}"`)
  }
  return number
}

const DEFAULT_GRACE_MS = 25_000

function parseGraceMs(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_GRACE_MS
  const number = Number(value)
  if (!/^\d+$/.test(value) || number > 3_600_000) {
    throw new UsageError(`--grace-ms (GEORDI_SHUTDOWN_GRACE_MS) expects an integer from 0 to 3600000, got "${value}"`)
  }
  return number
}

function timestamped(stream: WorkerCliOutput['stderr']): (line: string) => void {
  return (line) => stream.write(`${new Date().toISOString()} ${line}\n`)
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  return `${error.name}: ${error.message}${typeof code === 'string' ? ` (${code})` : ''}`
}

/**
 * Prints job states and diagnostics with a timestamp. Job lines carry the id, state, timings
 * and error code only: job payloads hold the admin's credentials and are never printed.
 */
function subscribeLogs(log: (line: string) => void): () => void {
  const onJob = (message: unknown) => {
    const job = message as Pick<JobStatus, 'id' | 'state' | 'timings' | 'error'>
    const wall = job.timings?.wallMs === undefined ? '' : ` request ${Math.round(job.timings.wallMs)} ms`
    const render = job.timings?.renderMs === undefined ? '' : ` render ${Math.round(job.timings.renderMs)} ms`
    log(`job ${job.id} ${job.state}${wall}${render}${job.error ? ` ${job.error.code}` : ''}`)
  }
  const onDiagnostic = (message: unknown) => {
    const event = message as DiagnosticEvent
    const cause = event.error === undefined ? '' : `: ${describeError(event.error)}`
    log(`${event.level} ${event.scope}: ${event.message}${cause}`)
  }
  diagnosticsChannel.subscribe(JOB_CHANNEL, onJob)
  diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNEL, onDiagnostic)
  return () => {
    diagnosticsChannel.unsubscribe(JOB_CHANNEL, onJob)
    diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNEL, onDiagnostic)
  }
}

/** Resolves with the exit code once SIGTERM or SIGINT has stopped the worker. */
function untilStopped(worker: GeordiWorker, graceMs: number, log: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal} again: stopping without waiting for running jobs`)
        return finish(1)
      }
      stopping = true
      log(`${signal}: finishing running jobs (at most ${graceMs} ms)`)
      worker.close({ graceMs }).then(
        () => finish(0),
        (error: unknown) => {
          log(`stopping failed: ${describeError(error)}`)
          finish(1)
        },
      )
    }
    const finish = (code: number) => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      resolve(code)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

/**
 * Runs `geordi-worker` on `argv` (the arguments after the script): starts a worker and resolves
 * with the exit code once a signal has stopped it, or at once for bad arguments (2) or a worker
 * that cannot start (1). The caller exits the process with it: the app loaded into the worker
 * may keep timers of its own alive.
 *
 * @example
 * ```ts
 * process.exit(await runWorkerCli(['--app', './dist/app.js', '--concurrency', '2']))
 * ```
 */
export async function runWorkerCli(argv: string[], output: WorkerCliOutput = process): Promise<number> {
  const log = timestamped(output.stderr)
  let args: Parsed
  let concurrency: number | undefined
  let graceMs: number
  try {
    args = parseCli(argv)
    concurrency = parseConcurrency(args.concurrency)
    graceMs = parseGraceMs(args['grace-ms'] ?? process.env.GEORDI_SHUTDOWN_GRACE_MS)
    if (!args.help && (args.app === undefined || args.app === '')) throw new UsageError('--app is required')
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    output.stderr.write(`geordi-worker: ${error.message}\n\n${usage}\n`)
    return 2
  }
  if (args.help) {
    output.stdout.write(`${usage}\n`)
    return 0
  }

  const options = {
    app: args.app,
    ...(args.queue === undefined ? {} : { queueName: args.queue }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(args.redis === undefined ? {} : { redisUrl: args.redis }),
    ...(args.out === undefined ? {} : { outDir: args.out }),
  }
  try {
    // Checked before the app is loaded, so a TypeError thrown by the app is not taken for a usage mistake.
    resolveWorkerOptions(options)
  } catch (error) {
    output.stderr.write(`geordi-worker: ${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`)
    return 2
  }

  const unsubscribe = subscribeLogs(log)
  try {
    let worker: GeordiWorker
    try {
      // Loaded only now: BullMQ and the renderer take a while to load, usage errors need neither.
      const { startGeordiWorker } = await import('./worker.js')
      worker = await startGeordiWorker(options)
    } catch (error) {
      output.stderr.write(`geordi-worker: could not start: ${describeError(error)}\n`)
      return 1
    }
    log(`geordi-worker ready: host ${worker.host}, queue ${worker.worker.name}, concurrency ${worker.worker.concurrency}, app on 127.0.0.1:${worker.appPort}`)
    return await untilStopped(worker, graceMs, log)
  } finally {
    unsubscribe()
  }
}

// Run only as the program, not when imported.
if (isMainModule(import.meta.url)) process.exit(await runWorkerCli(process.argv.slice(2)))
