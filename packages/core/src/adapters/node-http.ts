import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { getContext, runInContext } from '../context.js'
import { beginRequest, resolveAdapterOptions } from '../lifecycle.js'
import { describeValue, invalidOption } from '../options.js'
import type { AdapterOptions } from '../types.js'

/**
 * Wraps a `node:http` request listener so each request gets a context, a correlation id and
 * lifecycle events.
 *
 * @example
 * ```ts
 * http.createServer(wrapHandler((req, res) => res.end('ok'))).listen(3000)
 * ```
 */
export function wrapHandler<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  handler: (req: Req, res: Res) => void,
  options?: AdapterOptions,
): (req: Req, res: Res) => void {
  if (typeof handler !== 'function') {
    throw invalidOption(TypeError, `Expected \`handler\` to be a function, got ${describeValue(handler)}`)
  }
  const resolved = resolveAdapterOptions(options)
  const listener = handler
  return function introHandler(this: unknown, req: Req, res: Res): void {
    const { context } = beginRequest(req, res, resolved)
    if (getContext() === context) listener.call(this, req, res)
    else runInContext(context, () => listener.call(this, req, res))
  }
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
