import { AsyncResource } from 'node:async_hooks'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'
import { threadId } from 'node:worker_threads'
import { createCorrelationId, isValidRequestId } from './correlation-id.js'
import { reportDiagnostic } from './diagnostics.js'
import { MEMBER, NEXT, PREVIOUS } from './in-flight.js'
import { coreState } from './global-state.js'
import { rejectUnknownKeys } from './option-keys.js'
import { describeValue, invalidOption } from './options.js'
import type { Operation } from './operations.js'
import type { ContextInit } from './types.js'

/** Fields a {@link RequestContext} is created with. */
export interface RequestContextInit extends ContextInit {
  method?: string
  url?: string
  headers?: IncomingHttpHeaders
  /**
   * The incoming request, for adapters: `url` and `headers` are then read from it when first
   * asked for. Node builds `req.headers` from the raw headers on first access, and most requests
   * never need their full URL, so neither is paid for on every request.
   */
  request?: IncomingMessage
}

function fullUrl(req: IncomingMessage, path: string, encrypted: boolean): string {
  // Absolute-form request targets (`GET http://host/path`, sent to proxies) are already full.
  if (!path.startsWith('/') && /^https?:\/\//i.test(path)) return path
  const host = req.headers.host ?? `${req.socket?.localAddress ?? 'localhost'}:${req.socket?.localPort ?? ''}`
  return `${encrypted ? 'https' : 'http'}://${host}${path}`
}

/**
 * Everything the toolkit knows about the request (or script, or job) being served:
 * correlation id, timing, and the operations it is waiting on right now.
 */
export class RequestContext {
  /** Correlation id: carried into SQL comments, outbound headers, logs and reports. */
  readonly id: string
  /** `Date.now()` when the request started. */
  readonly startTime: number
  /** `performance.now()` when the request started, for durations. */
  readonly startHr: number
  readonly method: string | undefined
  #url: string | undefined
  #headers: IncomingHttpHeaders | undefined
  // What the context keeps of its request until `url` or `headers` is read: the request, and its
  // path and scheme when it arrived (routers rewrite `req.url` while they run).
  #request: IncomingMessage | undefined
  #path = '/'
  #encrypted = false
  /** Script or job name, outside HTTP requests. */
  readonly name: string | undefined
  readonly args: readonly string[] | undefined
  #tags: Record<string, string> | undefined
  #operations: Set<Operation> | undefined
  /** Thread that serves the request. */
  readonly threadId: number = threadId
  #route: string | undefined
  // The in-flight list's links (see in-flight.ts), declared so they are part of every context's shape.
  [PREVIOUS]: unknown = undefined;
  [NEXT]: unknown = undefined;
  [MEMBER]: unknown = undefined
  #resolveRoute: (() => string | undefined) | undefined

  constructor(init: RequestContextInit = {}) {
    this.id = init.id ?? createCorrelationId()
    this.startTime = Date.now()
    this.startHr = performance.now()
    this.method = init.method
    this.#url = init.url
    this.#headers = init.headers
    const { request } = init
    if (request !== undefined) {
      this.#request = request
      this.#path = request.url ?? '/'
      this.#encrypted = (request.socket as { encrypted?: boolean } | null)?.encrypted === true
    }
    this.name = init.name
    this.args = init.args
    if (init.tags !== undefined) this.#tags = { ...init.tags }
  }

  /** Free-form tags, set by the app (created on first read: most requests have none). */
  get tags(): Record<string, string> {
    if (this.#tags === undefined) this.#tags = {}
    return this.#tags
  }

  /** Full URL (`http://host/path?query`), unredacted: consumers redact before writing it. */
  get url(): string | undefined {
    if (this.#url === undefined && this.#request !== undefined) this.#url = fullUrl(this.#request, this.#path, this.#encrypted)
    return this.#url
  }

  /** The request's headers, as Node parsed them. */
  get headers(): IncomingHttpHeaders | undefined {
    if (this.#headers === undefined && this.#request !== undefined) this.#headers = this.#request.headers
    return this.#headers
  }

  /** In-flight operations of this request (SQL, HTTP, …), oldest first. */
  get operations(): Set<Operation> {
    // Created on first use: most requests start no tracked operation, and the hot path is
    // allocation-bound.
    if (this.#operations === undefined) this.#operations = new Set()
    return this.#operations
  }

  /** Route template (`/users/:id`) once the framework has matched one; `undefined` before. */
  get route(): string | undefined {
    if (this.#route === undefined && this.#resolveRoute !== undefined) {
      try {
        this.#route = this.#resolveRoute()
      } catch {
        return undefined
      }
    }
    return this.#route
  }

  /** Sets the route template (adapters call this when the framework has matched a route). */
  setRoute(route: string | undefined): void {
    this.#route = route
  }

  /** Lets an adapter compute the route lazily, when someone reads it. */
  setRouteResolver(resolve: () => string | undefined): void {
    this.#resolveRoute = resolve
  }

  /** Milliseconds since the request started. */
  elapsedMs(now: number = performance.now()): number {
    return now - this.startHr
  }
}

/** The context of the code running now, or `undefined` outside any request, script or job. */
export function getContext(): RequestContext | undefined {
  return coreState.storage.getStore()
}

/**
 * Runs `fn` inside a new context — for scripts and queue jobs, so their SQL comments, logs and
 * reports carry an id and a name just like requests do.
 *
 * @example
 * ```ts
 * await runWithContext({ name: 'send_subscriptions', args: ['1000'] }, () => sendSubscriptions(1000))
 * ```
 */
export function runWithContext<T>(init: ContextInit, fn: () => T): T {
  if (typeof init !== 'object' || init === null) {
    throw invalidOption(TypeError, `Expected \`init\` to be an object, got ${describeValue(init)}`)
  }
  if (typeof fn !== 'function') throw invalidOption(TypeError, `Expected \`fn\` to be a function, got ${describeValue(fn)}`)
  rejectUnknownKeys('runWithContext init', init, CONTEXT_INIT_KEYS)
  return coreState.storage.run(new RequestContext(checkedInit(init)), fn)
}

const CONTEXT_INIT_KEYS = ['id', 'name', 'args', 'tags'] as const satisfies readonly (keyof ContextInit)[]

function checkedInit(init: ContextInit): ContextInit {
  const { id, name, args, tags } = init
  if (name !== undefined && typeof name !== 'string') throw invalidOption(TypeError, `Expected \`name\` to be a string, got ${describeValue(name)}`)
  if (args !== undefined && (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string'))) {
    throw invalidOption(TypeError, `Expected \`args\` to be an array of strings, got ${describeValue(args)}`)
  }
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) {
    throw invalidOption(TypeError, `Expected \`tags\` to be an object, got ${describeValue(tags)}`)
  }
  if (id === undefined || isValidRequestId(id)) return init
  // Job ids often come from a message payload: a bad one must not fail the job, nor reach SQL
  // comments and log lines, so it is replaced and reported.
  reportDiagnostic({ level: 'warn', scope: 'core.context', message: `rejected invalid correlation id ${describeValue(id)}; using a fresh one` })
  return { ...init, id: createCorrelationId() }
}

/**
 * Runs `fn` outside any context: timers and callbacks it creates belong to no request. For the
 * toolkit's own work started from inside a request (a watchdog's deadline timer), which must
 * not be listed as something the request waits on.
 */
export function runOutsideContext<T>(fn: () => T): T {
  return coreState.storage.exit(fn)
}

/** Runs `fn` with `context` as the current context (used by adapters). */
export function runInContext<T>(context: RequestContext, fn: () => T): T {
  return coreState.storage.run(context, fn)
}

/**
 * Returns `fn` bound to the context current now: wherever it is called later (an event
 * listener on an emitter created outside the request, a driver callback that loses the
 * context, a queue callback), it runs inside that context. Other `AsyncLocalStorage` stores
 * are bound too (it is `AsyncResource.bind`). Outside any context `fn` is returned unchanged.
 *
 * @example
 * ```ts
 * sharedEmitter.once('ready', bindContext(() => log(getContext()?.id)))
 * ```
 */
export function bindContext<F extends (...args: never[]) => unknown>(fn: F): F {
  if (typeof fn !== 'function') throw invalidOption(TypeError, `Expected \`fn\` to be a function, got ${describeValue(fn)}`)
  if (coreState.storage.getStore() === undefined) return fn
  return AsyncResource.bind(fn as unknown as (...args: unknown[]) => unknown) as unknown as F
}

/** Every HTTP request currently being served in this thread, oldest first. */
export function inFlightRequests(): RequestContext[] {
  return [...coreState.inFlight]
}
