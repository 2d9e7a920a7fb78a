import http from 'node:http'
import https from 'node:https'
import { syncBuiltinESMExports } from 'node:module'
import { safeExecute } from '../diagnostics.js'
import { headersFor, trackHttp } from './outbound.js'
import { sharedWrap } from './state.js'

type RequestFn = (this: unknown, ...args: unknown[]) => unknown

function portSuffix(req: http.ClientRequest): string {
  // ClientRequest exposes no port; the Host header it built carries it when it is not the default.
  const host = req.getHeader('host')
  return typeof host === 'string' && host.includes(':') ? host.slice(host.lastIndexOf(':')) : ''
}

function onClientRequest(req: http.ClientRequest, defaultProtocol: string): void {
  const protocol = (req as unknown as { protocol?: string }).protocol ?? defaultProtocol
  const origin = `${protocol}//${req.host}${portSuffix(req)}`
  const headers = headersFor('http', origin)
  if (headers !== undefined && !req.headersSent) {
    for (const [name, value] of headers) if (!req.hasHeader(name)) req.setHeader(name, value)
  }
  const handle = trackHttp('http', req.method, origin, req.path)
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

/**
 * Patches `node:http` / `node:https` `request()` and `get()` once per process (the ESM named
 * exports too): each call is an `http` operation until its response headers, with the installed
 * provider's headers. Node 20's `http.client.request.start` channel fires after the headers are
 * written, so headers cannot be added there: the functions are wrapped instead. Returns the
 * function that stops this install.
 */
export function instrumentHttpClient(): () => void {
  const stops: Array<() => void> = []
  for (const [module, protocol] of [
    [http, 'http:'],
    [https, 'https:'],
  ] as const) {
    stops.push(
      sharedWrap(module, 'request', (original: RequestFn) =>
        function request(this: unknown, ...args: unknown[]) {
          const req = original.apply(this, args) as http.ClientRequest
          safeExecute('core.http', () => onClientRequest(req, protocol))
          return req
        },
      ),
    )
    stops.push(
      sharedWrap(module, 'get', () =>
        function get(this: unknown, ...args: unknown[]) {
          // Through the (wrapped) request, as node:http's own get does.
          const req = (module.request as unknown as RequestFn).apply(this, args) as http.ClientRequest
          req.end()
          return req
        },
      ),
    )
  }
  syncBuiltinESMExports()
  return () => {
    for (const stop of stops.splice(0)) stop()
    syncBuiltinESMExports()
  }
}
