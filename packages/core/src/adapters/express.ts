import type { IncomingMessage, ServerResponse } from 'node:http'
import { getContext, runInContext } from '../context.js'
import { beginRequest, resolveAdapterOptions } from '../lifecycle.js'
import type { AdapterOptions } from '../types.js'

/** The parts of an Express/Connect request the adapter reads (Express 4 and 5 alike). */
interface ExpressLikeRequest extends IncomingMessage {
  baseUrl?: string
  route?: { path?: unknown }
}

/**
 * Express 4/5 (and Connect) middleware; install it first so everything after it runs inside
 * the request's context. The route template (`/users/:id`) is read from `req.route` once
 * Express has matched one.
 *
 * @example
 * ```ts
 * app.use(expressMiddleware())
 * ```
 */
export function expressMiddleware(
  options?: AdapterOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const resolved = resolveAdapterOptions(options)
  return function introExpress(req, res, next): void {
    const request = req as ExpressLikeRequest
    const { context } = beginRequest(req, res, resolved, () => {
      const path = request.route?.path
      return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : undefined
    })
    if (getContext() === context) next()
    else runInContext(context, () => next())
  }
}
