import diagnosticsChannel from 'node:diagnostics_channel'
import http from 'node:http'
import https from 'node:https'
import { syncBuiltinESMExports } from 'node:module'
import { getContext, redactUrl, reportDiagnostic, safeExecute, startOperation } from '@intro/core'
import { traceparentFor } from './trace-context.js'

/** Options of {@link instrumentOutboundHttp}. */
export interface OutboundHttpOptions {
  /**
   * Header that carries the correlation id.
   * @defaultValue `'x-request-id'`
   */
  requestIdHeader?: string
  /**
   * Also send a W3C `traceparent` whose trace id is the correlation id (when it is a UUID or
   * 32 hex digits).
   * @defaultValue `true`
   */
  traceparent?: boolean
  /**
   * Decides per destination whether the ids are sent (e.g. only to your own services).
   * @defaultValue every destination
   */
  propagate?: (origin: string) => boolean
  /**
   * Record each call as an `http` operation until its response headers arrive (timers by host, the
   * slow-request watchdog).
   * @defaultValue `true`
   */
  operations?: boolean
  /**
   * Instrument `fetch` (undici's `undici:request:create` channel).
   * @defaultValue `true`
   */
  fetch?: boolean
  /**
   * Instrument `node:http` / `node:https` `request()` and `get()`.
   * @defaultValue `true`
   */
  http?: boolean
}

interface Resolved {
  header: string
  traceparent: boolean
  propagate: ((origin: string) => boolean) | undefined
  operations: boolean
}

type Handle = { end(error?: unknown): void }

// Process-wide, so that two installs (or two copies of this package) never time a call twice or
// wrap node:http twice; like the SQL patches, a second install is a no-op until the first stops.
const INSTALLED = Symbol.for('intro.stats.outbound-http.installed')
type Part = 'fetch' | 'http'

function installed(): Record<Part, boolean> {
  const holder = globalThis as { [INSTALLED]?: Record<Part, boolean> }
  holder[INSTALLED] ??= { fetch: false, http: false }
  return holder[INSTALLED]
}

/** Runs `install` unless `part` is installed already; the returned stop also frees the part. */
function once(part: Part, install: () => () => void): () => void {
  const state = installed()
  if (state[part]) {
    reportDiagnostic({ level: 'info', scope: 'stats.outbound-http', message: `${part} is instrumented already; not again` })
    return () => {}
  }
  const stop = install()
  state[part] = true
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    stop()
    state[part] = false
  }
}

function headersToSend(options: Resolved, origin: string): Array<[string, string]> | undefined {
  const context = getContext()
  if (context === undefined) return undefined
  if (options.propagate !== undefined && safeExecute('stats.propagate', () => options.propagate!(origin)) !== true) {
    return undefined
  }
  const headers: Array<[string, string]> = [[options.header, context.id]]
  if (options.traceparent) {
    const traceparent = traceparentFor(context.id)
    if (traceparent !== undefined) headers.push(['traceparent', traceparent])
  }
  return headers
}

function track(options: Resolved, method: string, origin: string, path: string): Handle | undefined {
  if (!options.operations) return undefined
  let host = origin
  try {
    host = new URL(origin).host
  } catch {}
  // Redacted here, once: the description reaches dogslow reports, logs and anyone listening to
  // the operation registry, and an outgoing `?api_key=` is as secret as an incoming one.
  return startOperation({ kind: 'http', description: `${method} ${redactUrl(`${origin}${path}`)}`, attributes: { host, method } })
}

// ---- fetch (undici) -------------------------------------------------------------------------

interface UndiciRequest {
  origin?: string | URL
  path?: string
  method?: string
  headers?: string | string[]
  addHeader?(name: string, value: string): void
}

function undiciHas(request: UndiciRequest, name: string): boolean {
  const headers = request.headers
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i]?.toLowerCase() === name) return true
    return false
  }
  return typeof headers === 'string' && headers.toLowerCase().includes(`${name}:`)
}

function instrumentFetch(options: Resolved): () => void {
  const pending = new WeakMap<object, Handle>()
  const byOrigin = new Map<string, Set<object>>()
  const finish = (request: object, error?: unknown) => {
    const handle = pending.get(request)
    if (handle === undefined) return
    pending.delete(request)
    handle.end(error)
    for (const set of byOrigin.values()) set.delete(request)
  }
  const onCreate = (message: unknown) =>
    safeExecute('stats.fetch', () => {
      const request = (message as { request: UndiciRequest }).request
      const origin = String(request.origin ?? '')
      const headers = headersToSend(options, origin)
      if (headers !== undefined && typeof request.addHeader === 'function') {
        for (const [name, value] of headers) if (!undiciHas(request, name)) request.addHeader(name, value)
      }
      const handle = track(options, request.method ?? 'GET', origin, request.path ?? '')
      if (handle !== undefined) {
        pending.set(request, handle)
        const set = byOrigin.get(origin) ?? new Set<object>()
        byOrigin.set(origin, set)
        set.add(request)
      }
    })
  // The call ends when the response headers arrive: a body the app never reads (or only
  // cancels) produces no 'trailers' event, and ending there would leave the operation open for
  // the life of the process. The timer is time to response headers, as for node:http.
  const onResponseHeaders = (message: unknown) => finish((message as { request: object }).request)
  const onError = (message: unknown) => {
    const { request, error } = message as { request: object; error: unknown }
    finish(request, error)
  }
  const onHeaders = (message: unknown) => {
    const request = (message as { request: object }).request
    for (const set of byOrigin.values()) set.delete(request)
  }
  // A failed connect is published without the request: end the calls to that origin that are
  // still waiting for their headers to go out.
  const onConnectError = (message: unknown) =>
    safeExecute('stats.fetch', () => {
      const { connectParams, error } = message as { connectParams: { protocol?: string; host?: string }; error: unknown }
      const origin = `${connectParams.protocol ?? 'http:'}//${connectParams.host ?? ''}`
      const set = byOrigin.get(origin)
      if (set === undefined) return
      for (const request of [...set]) finish(request, error)
      byOrigin.delete(origin)
    })
  const subscriptions: Array<[string, (message: unknown) => void]> = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onResponseHeaders],
    ['undici:request:error', onError],
    ['undici:client:sendHeaders', onHeaders],
    ['undici:client:connectError', onConnectError],
  ]
  for (const [name, fn] of subscriptions) diagnosticsChannel.subscribe(name, fn)
  return () => {
    for (const [name, fn] of subscriptions) diagnosticsChannel.unsubscribe(name, fn)
  }
}

// ---- node:http / node:https -----------------------------------------------------------------

type RequestFn = (...args: unknown[]) => http.ClientRequest

// Node 20's `http.client.request.start` channel fires after the headers are written, so the
// ids cannot be added there: request() and get() are wrapped instead (and restored on unpatch).
function instrumentNodeHttp(options: Resolved): () => void {
  const restores: Array<() => void> = []
  for (const [module, protocol] of [
    [http, 'http:'],
    [https, 'https:'],
  ] as const) {
    const target = module as unknown as { request: RequestFn; get: RequestFn }
    const originalRequest = target.request
    const originalGet = target.get
    const request: RequestFn = function (this: unknown, ...args) {
      const req = originalRequest.apply(this, args)
      safeExecute('stats.http', () => onClientRequest(options, req, protocol))
      return req
    }
    const get: RequestFn = function (this: unknown, ...args) {
      const req = request.apply(this, args)
      req.end()
      return req
    }
    target.request = request
    target.get = get
    restores.push(() => {
      if (target.request === request) target.request = originalRequest
      if (target.get === get) target.get = originalGet
    })
  }
  syncBuiltinESMExports()
  return () => {
    for (const restore of restores.splice(0)) restore()
    syncBuiltinESMExports()
  }
}

function onClientRequest(options: Resolved, req: http.ClientRequest, defaultProtocol: string): void {
  const protocol = (req as unknown as { protocol?: string }).protocol ?? defaultProtocol
  const origin = `${protocol}//${req.host}${portSuffix(req)}`
  const headers = headersToSend(options, origin)
  if (headers !== undefined && !req.headersSent) {
    for (const [name, value] of headers) if (!req.hasHeader(name)) req.setHeader(name, value)
  }
  const handle = track(options, req.method, origin, req.path)
  if (handle === undefined) return
  let failure: unknown
  // Listening for 'error' would make an unhandled request error silently handled, and listening
  // for 'response' would stop node:http from discarding the body of a response nobody asked
  // for; observing emit keeps the app's behaviour exactly as it was.
  const emit = req.emit
  req.emit = function (this: http.ClientRequest, event: string | symbol, ...args: unknown[]) {
    if (event === 'error') failure = args[0]
    // Ended at the response headers, as fetch: a body the app never reads never ends the request.
    else if (event === 'response') handle.end()
    return emit.call(this, event, ...args)
  } as typeof req.emit
  req.once('close', () => handle.end(failure))
}

function portSuffix(req: http.ClientRequest): string {
  // ClientRequest exposes no port; the Host header it built carries it when it is not the default.
  const host = req.getHeader('host')
  return typeof host === 'string' && host.includes(':') ? host.slice(host.lastIndexOf(':')) : ''
}

/**
 * Sends the current request's correlation id with every outbound `fetch` and `node:http(s)`
 * call (`X-Request-ID` and `traceparent`, never overwriting headers the caller set) and records
 * each call as an `http` operation. A downstream service using this toolkit with
 * `trustUpstreamIds` continues the same id. Returns the function that undoes it. Installing it
 * again while it is installed changes nothing (the second call's options are ignored).
 *
 * @example
 * ```ts
 * const stop = instrumentOutboundHttp({ propagate: (origin) => origin.endsWith('.internal') })
 * ```
 */
export function instrumentOutboundHttp(options: OutboundHttpOptions = {}): () => void {
  const header = (options.requestIdHeader ?? 'x-request-id').toLowerCase()
  if (!/^[a-z0-9-]+$/.test(header)) {
    throw new TypeError(`Expected \`requestIdHeader\` to be a header name, got \`${options.requestIdHeader}\``)
  }
  if (options.propagate !== undefined && typeof options.propagate !== 'function') {
    throw new TypeError(`Expected \`propagate\` to be a function, got \`${String(options.propagate)}\``)
  }
  const resolved: Resolved = {
    header,
    traceparent: options.traceparent !== false,
    propagate: options.propagate,
    operations: options.operations !== false,
  }
  const stops: Array<() => void> = []
  if (options.fetch !== false) stops.push(once('fetch', () => instrumentFetch(resolved)))
  if (options.http !== false) stops.push(once('http', () => instrumentNodeHttp(resolved)))
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}
