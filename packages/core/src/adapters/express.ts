import type { IncomingMessage, ServerResponse } from 'node:http'
import { getContext, runInContext } from '../context.js'
import { beginRequest, resolveAdapterOptions } from '../lifecycle.js'
import type { AdapterOptions } from '../types.js'
import { type ExpressRouteRequest, expressRouteTemplate } from './express-route.js'

/**
 * Express 4/5 (and Connect) middleware; install it first so everything after it runs inside
 * the request's context. The route template (`/t/:tenant/users/:id`) is built from the
 * patterns of the matched route and of the routers it is mounted under, once Express has
 * matched one — never from the matched text (`req.baseUrl`), which would make one template per
 * tenant or id.
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
    const { context } = beginRequest(req, res, resolved, () => expressRouteTemplate(req as IncomingMessage & ExpressRouteRequest))
    if (getContext() === context) next()
    else runInContext(context, () => next())
  }
}
