import { addOutboundHeaders, getContext, instrumentFetch, instrumentHttpClient, recordOperations, safeExecute } from '@intro/core'
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

// The clients themselves are core's integrations (undici's channels, node:http's request/get),
// shared with the slow-request watchdog so a call is recorded once; stats adds the ids on top.
// Core asks header providers in install order and the first one wins, so a second install while
// the first runs sends nothing twice (its options are ignored until the first stops).
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
  const clients = { fetch: options.fetch !== false, http: options.http !== false }
  const stops: Array<() => void> = [addOutboundHeaders((origin) => headersToSend(resolved, origin), clients)]
  if (clients.fetch) {
    stops.push(instrumentFetch())
    if (resolved.operations) stops.push(recordOperations('fetch'))
  }
  if (clients.http) {
    stops.push(instrumentHttpClient())
    if (resolved.operations) stops.push(recordOperations('http'))
  }
  return () => {
    for (const stop of stops.splice(0).reverse()) stop()
  }
}
