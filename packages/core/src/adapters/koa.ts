import type { IncomingMessage, ServerResponse } from 'node:http'
import { getContext, runInContext } from '../context.js'
import { beginRequest, resolveAdapterOptions } from '../lifecycle.js'
import type { AdapterOptions } from '../types.js'

/** The parts of a Koa context the adapter reads. */
interface KoaLikeContext {
  req: IncomingMessage
  res: ServerResponse
  /** Set by @koa/router once a route matched. */
  _matchedRoute?: unknown
}

/**
 * Koa 2 middleware; install it first (`app.use(koaMiddleware())`). The route template is read
 * from @koa/router's `ctx._matchedRoute` when present.
 */
export function koaMiddleware(options?: AdapterOptions): (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<unknown> {
  const resolved = resolveAdapterOptions(options)
  return function introKoa(ctx, next) {
    const { context } = beginRequest(ctx.req, ctx.res, resolved, () =>
      typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : undefined,
    )
    if (getContext() === context) return next()
    return runInContext(context, next)
  }
}
