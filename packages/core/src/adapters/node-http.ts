import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { getContext } from '../context.js'
import { coreState } from '../global-state.js'
import { beginRequest, resolveAdapterOptions } from '../lifecycle.js'
import { describeValue, invalidOption } from '../options.js'
import type { AdapterOptions } from '../types.js'

/**
 * Wraps a `node:http` request listener (or anything with that shape: an Express or Koa
 * `callback()` app) so each request gets a context, a correlation id and lifecycle events.
 * Returns a listener of the same type.
 *
 * @example
 * ```ts
 * http.createServer(wrapHandler((req, res) => res.end('ok'))).listen(3000)
 * ```
 */
export function wrapHandler(handler: (req: IncomingMessage, res: ServerResponse) => void, options?: AdapterOptions): (req: IncomingMessage, res: ServerResponse) => void
export function wrapHandler<H extends (req: never, res: never) => unknown>(handler: H, options?: AdapterOptions): H
export function wrapHandler(handler: (req: IncomingMessage, res: ServerResponse) => unknown, options?: AdapterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  if (typeof handler !== 'function') {
    throw invalidOption(TypeError, `Expected \`handler\` to be a function, got ${describeValue(handler)}`)
  }
  const resolved = resolveAdapterOptions(options)
  return function introHandler(this: unknown, req: IncomingMessage, res: ServerResponse): void {
    const { context } = beginRequest(req, res, resolved)
    if (getContext() === context) handler.call(this, req, res)
    // No closure per request: the hot path is allocation-bound.
    else coreState.storage.run(context, callHandler, handler, this, req, res)
  }
}

function callHandler(handler: (req: IncomingMessage, res: ServerResponse) => unknown, self: unknown, req: IncomingMessage, res: ServerResponse): void {
  handler.call(self, req, res)
}

/**
 * Instruments an existing `node:http`/`https` server: every `'request'` listener registered so
 * far runs inside the request's context. Call it after the app has added its listeners.
 */
export function instrumentServer<S extends Server>(server: S, options?: AdapterOptions): S {
  if (server === null || typeof server !== 'object' || typeof server.listeners !== 'function') {
    throw invalidOption(TypeError, `Expected \`server\` to be an http.Server, got ${describeValue(server)}`)
  }
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
  server.removeAllListeners('request')
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of listeners) listener.call(server, req, res)
  }
  server.on('request', wrapHandler(dispatch, options))
  return server
}
