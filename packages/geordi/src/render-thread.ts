import { Worker } from 'node:worker_threads'
import { reportDiagnostic } from '@intro/core'
import type { RenderReportInput, RenderReportResult } from './render/index.js'
import type { RenderThreadReply, RenderThreadRequest } from './render-thread-protocol.js'

/** An idle render thread is ended after this long: the renderer is most of geordi's memory. */
const DEFAULT_IDLE_MS = 30_000

function threadEntry(): URL {
  const here = import.meta.url
  // Run from the TypeScript sources (the monorepo's own tests), the thread runs the built file.
  return new URL(here.endsWith('.ts') ? '../dist/render-thread-main.js' : './render-thread-main.js', here)
}

/** Flags a render thread drops, with their separate value when given as `--flag value`. */
const DROPPED_FLAGS = ['--input-type', '--conditions', '-C']

/**
 * The process's flags, for loaders and require hooks the renderer's modules may need (Yarn PnP,
 * `--import` hooks), without `--input-type` (a thread started from a file refuses it, and
 * `node --input-type=module -e …` has it) and `--conditions`: custom export conditions are the
 * app's, and could point the renderer's dependencies at sources this Node cannot load.
 */
function threadExecArgv(): string[] {
  const args: string[] = []
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!
    if (DROPPED_FLAGS.includes(arg)) i++
    else if (!DROPPED_FLAGS.some((flag) => arg.startsWith(`${flag}=`))) args.push(arg)
  }
  return args
}

async function renderInProcess(input: RenderReportInput): Promise<RenderReportResult> {
  const { renderProfileReport } = await import('./render/index.js')
  return renderProfileReport(input)
}

interface Pending {
  input: RenderReportInput
  resolve(result: RenderReportResult): void
  reject(error: unknown): void
  done(): void
}

/**
 * Renders reports on a worker thread of their own, started on the first render and ended when
 * idle. Two reasons: the renderer's code then never sits in the profiled thread's heap, where
 * every profiler start makes V8 log each compiled function (pdfkit and Graphviz doubled that
 * wait); and in inline mode a render no longer holds the web process's event loop. A thread
 * that cannot start (a bundle without the entry file, a sandbox without threads) leaves
 * rendering in this thread, said once through the diagnostics.
 */
export class RenderThread {
  #worker: Worker | undefined
  #answered = false
  #failedToStart = false
  #nextId = 1
  readonly #pending = new Map<number, Pending>()
  #idle: NodeJS.Timeout | undefined
  /** How long an idle thread lives; `Infinity`: until {@link close}. */
  idleMs = DEFAULT_IDLE_MS

  /** Starts the thread now (it loads the renderer at once), so the first render does not wait. */
  warm(): void {
    if (this.#failedToStart) return
    this.#start()
    if (this.#pending.size === 0) this.#goIdle()
  }

  render(input: RenderReportInput): Promise<RenderReportResult> {
    if (this.#failedToStart) return renderInProcess(input)
    const worker = this.#start()
    const id = this.#nextId++
    const { onProgress: _progress, signal, ...rest } = input
    clearTimeout(this.#idle)
    worker.ref()
    return new Promise<RenderReportResult>((resolve, reject) => {
      const abort = () => this.#post({ type: 'abort', id })
      signal?.addEventListener('abort', abort, { once: true })
      this.#pending.set(id, { input, resolve, reject, done: () => signal?.removeEventListener('abort', abort) })
      this.#post({ type: 'render', id, input: rest })
    })
  }

  /** Ends the thread now; renders still running are rejected. */
  async close(): Promise<void> {
    const worker = this.#worker
    this.#worker = undefined
    clearTimeout(this.#idle)
    this.#rejectAll(new Error('the render thread was closed'))
    await worker?.terminate()
  }

  #post(message: RenderThreadRequest): void {
    this.#worker?.postMessage(message)
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(threadEntry(), { name: 'geordi-render', execArgv: threadExecArgv() })
    this.#answered = false
    worker.on('message', (reply: RenderThreadReply) => this.#onReply(reply))
    worker.on('error', (error) => this.#onFailure(worker, error))
    worker.on('exit', (code) => this.#onFailure(worker, new Error(`the render thread exited with code ${code}`)))
    this.#worker = worker
    return worker
  }

  #onReply(reply: RenderThreadReply): void {
    this.#answered = true
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    if (reply.type === 'progress') {
      pending.input.onProgress?.(reply.stage)
      return
    }
    this.#pending.delete(reply.id)
    pending.done()
    if (reply.type === 'done') pending.resolve(reply.result)
    else pending.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }))
    if (this.#pending.size === 0) this.#goIdle()
  }

  #goIdle(): void {
    const worker = this.#worker
    worker?.unref()
    clearTimeout(this.#idle)
    if (this.idleMs === Number.POSITIVE_INFINITY) return
    this.#idle = setTimeout(() => {
      if (this.#worker !== worker || this.#pending.size > 0) return
      this.#worker = undefined
      void worker?.terminate()
    }, this.idleMs)
    this.#idle.unref()
  }

  #onFailure(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    if (this.#answered) {
      this.#rejectAll(error)
      return
    }
    this.#failedToStart = true
    reportDiagnostic({ level: 'warn', scope: 'geordi.render', message: 'the render thread could not start; reports are rendered in this thread', error })
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id)
      pending.done()
      renderInProcess(pending.input).then(pending.resolve, pending.reject)
    }
  }

  #rejectAll(error: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id)
      pending.done()
      pending.reject(error)
    }
  }
}

let shared: RenderThread | undefined

/** The process's render thread (see {@link RenderThread}), shared by every job runner. */
export function sharedRenderThread(): RenderThread {
  shared ??= new RenderThread()
  return shared
}

/** Renders a report on the process's render thread. */
export function renderOnThread(input: RenderReportInput): Promise<RenderReportResult> {
  return sharedRenderThread().render(input)
}
