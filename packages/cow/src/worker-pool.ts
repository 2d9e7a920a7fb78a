import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { checkInteger, checkObject, describeValue, invalidOption, rejectUnknownKeys } from '@intro/core'
import { assertTimeoutMs, compileErrorSpec } from './error-spec.js'
import { CowErrorCode, WorkerPoolError } from './errors.js'
import type { ErrorSpec, WorkerPool, WorkerPoolOptions } from './types.js'

// The worker's side, evaluated as a script so the pool needs no file of its own next to the
// build output (and works the same when tests run the TypeScript source).
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
let loading
parentPort.on('message', async ({ name, args }) => {
  let reply
  try {
    loading ??= import(workerData.url)
    const mod = await loading
    const fn = typeof mod[name] === 'function' ? mod[name] : mod.default?.[name]
    if (typeof fn !== 'function') reply = { kind: 'missing' }
    else reply = { kind: 'ok', value: await fn(...args) }
  } catch (error) {
    reply = { kind: 'threw', error }
  }
  try {
    parentPort.postMessage(reply)
  } catch (error) {
    parentPort.postMessage({ kind: 'threw', error: new Error('result could not be sent to the caller: ' + error.message) })
  }
})
`

interface Reply {
  kind: 'ok' | 'threw' | 'missing'
  value?: unknown
  error?: unknown
}

interface Call {
  name: string
  args: unknown[]
  ms: number
  makeError: (ms: number) => Error
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  timer?: NodeJS.Timeout
  expire?: () => void
}

function moduleUrl(module: unknown): string {
  if (module instanceof URL) return module.href
  if (typeof module === 'string' && module.startsWith('file:')) return module
  if (typeof module === 'string' && isAbsolute(module)) return pathToFileURL(module).href
  throw invalidOption(TypeError, `Expected \`module\` to be a file: URL or an absolute path, got ${describeValue(module)}`)
}

const WORKER_POOL_OPTIONS = ['module', 'maxWorkers', 'resourceLimits'] as const
const everyOptionListed: [Exclude<keyof WorkerPoolOptions, (typeof WORKER_POOL_OPTIONS)[number]>] extends [never] ? true : never = true
void everyOptionListed

/**
 * Creates a bounded pool of worker threads that run functions exported by one module, each call
 * under its own deadline. Past the deadline the worker is terminated whatever it is doing
 * (native code included), the call rejects with `Err`, and a fresh worker serves the next call:
 * for code that must not share the main thread at all.
 *
 * @example
 * ```ts
 * const pool = createWorkerPool({ module: new URL('./parse.js', import.meta.url), maxWorkers: 2 })
 * const ast = await pool.run(1_000, RuntimeError, 'parse', source)
 * await pool.close()
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  checkObject('options', options)
  rejectUnknownKeys('createWorkerPool options', options, WORKER_POOL_OPTIONS)
  const url = moduleUrl(options.module)
  const maxWorkers = checkInteger('maxWorkers', options.maxWorkers ?? 1, 1, 1024)
  if (options.resourceLimits !== undefined) checkObject('resourceLimits', options.resourceLimits)
  const idle: Worker[] = []
  const alive = new Set<Worker>()
  const queue: Call[] = []
  let closed = false

  const spawn = (): Worker => {
    const worker = new Worker(workerSource, { eval: true, workerData: { url }, resourceLimits: options.resourceLimits })
    // Idle workers must not keep the process alive; a running call's timer does.
    worker.unref()
    alive.add(worker)
    return worker
  }

  const retire = (worker: Worker) => {
    alive.delete(worker)
    const at = idle.indexOf(worker)
    if (at >= 0) idle.splice(at, 1)
    worker.removeAllListeners()
    // A worker that crashes later must not become an unhandled 'error' event.
    worker.on('error', () => {})
    void worker.terminate()
  }

  // Running calls by worker, so that close() can fail them with the right code.
  const running = new Map<Worker, (error: Error) => void>()

  const dispatch = () => {
    while (!closed && queue.length > 0) {
      const worker = idle.pop() ?? (alive.size < maxWorkers ? spawn() : undefined)
      if (worker === undefined) return
      start(worker, queue.shift()!)
    }
  }

  const start = (worker: Worker, call: Call) => {
    let finished = false
    const finish = (settle: () => void, keep: boolean) => {
      if (finished) return
      finished = true
      clearTimeout(call.timer)
      running.delete(worker)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      if (keep && !closed) idle.push(worker)
      else retire(worker)
      settle()
      dispatch()
    }
    const fail = (message: string, cause: unknown, keep: boolean) => {
      const error = new WorkerPoolError(message, { code: CowErrorCode.workerFailed, cause })
      finish(() => call.reject(error), keep)
    }
    const onMessage = (reply: Reply) => {
      if (reply.kind === 'ok') finish(() => call.resolve(reply.value), true)
      else if (reply.kind === 'threw') finish(() => call.reject(reply.error), true)
      else fail(`export ${JSON.stringify(call.name)} of ${url} is not a function`, undefined, true)
    }
    const onError = (cause: unknown) => fail(`worker failed running ${JSON.stringify(call.name)}`, cause, false)
    const onExit = (exitCode: number) => fail(`worker exited with code ${exitCode} running ${JSON.stringify(call.name)}`, undefined, false)
    // The deadline counts from run(): past it the worker is terminated, whatever it is doing.
    call.expire = () => finish(() => call.reject(call.makeError(call.ms)), false)
    running.set(worker, (error) => finish(() => call.reject(error), false))
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    try {
      worker.postMessage({ name: call.name, args: call.args })
    } catch (cause) {
      fail(`arguments of ${JSON.stringify(call.name)} cannot be sent to a worker`, cause, true)
    }
  }

  const closedError = () => new WorkerPoolError('the worker pool is closed', { code: CowErrorCode.poolClosed })

  return {
    get size() {
      return alive.size
    },
    run<T>(ms: number, Err: ErrorSpec | undefined, exportName: string, ...args: unknown[]): Promise<T> {
      assertTimeoutMs('ms', ms)
      const makeError = compileErrorSpec('Err', Err)
      if (typeof exportName !== 'string') throw invalidOption(TypeError, `Expected \`exportName\` to be a string, got ${describeValue(exportName)}`)
      if (closed) return Promise.reject(closedError())
      return new Promise<T>((resolve, reject) => {
        const call: Call = { name: exportName, args, ms, makeError, resolve: resolve as (value: unknown) => void, reject }
        call.expire = () => {
          queue.splice(queue.indexOf(call), 1)
          reject(makeError(ms))
        }
        call.timer = setTimeout(() => call.expire!(), ms)
        queue.push(call)
        dispatch()
      })
    },
    async close() {
      closed = true
      for (const call of queue.splice(0)) {
        clearTimeout(call.timer)
        call.reject(closedError())
      }
      for (const fail of [...running.values()]) fail(closedError())
      const workers = [...alive]
      for (const worker of workers) retire(worker)
      await Promise.all(workers.map((worker) => worker.terminate()))
    },
  }
}
