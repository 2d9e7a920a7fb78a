import type { IncomingMessage, ServerResponse } from 'node:http'
import { getContext, runInContext } from '../context.js'
import { beginRequest, resolveAdapterOptions } from '../lifecycle.js'
import type { AdapterOptions } from '../types.js'

/** The parts of Fastify's request/reply the plugin reads (Fastify 4 and 5). */
interface FastifyLikeRequest {
  raw: IncomingMessage
  routeOptions?: { url?: string }
}
interface FastifyLikeReply {
  raw: ServerResponse
}
interface FastifyLikeInstance {
  addHook(name: 'onRequest', hook: (request: FastifyLikeRequest, reply: FastifyLikeReply, done: () => void) => void): unknown
}

/** Fastify plugin signature, without importing fastify. */
export type FastifyPlugin = ((instance: FastifyLikeInstance, options: unknown, done: (error?: Error) => void) => void) & {
  [key: symbol]: unknown
}

/**
 * Fastify plugin; register it before your routes (`app.register(fastifyPlugin())`). The route
 * template comes from `request.routeOptions.url`.
 */
export function fastifyPlugin(options?: AdapterOptions): FastifyPlugin {
  const resolved = resolveAdapterOptions(options)
  const plugin = ((instance: FastifyLikeInstance, _pluginOptions: unknown, done: (error?: Error) => void) => {
    instance.addHook('onRequest', (request, reply, next) => {
      const { context } = beginRequest(request.raw, reply.raw, resolved, () => request.routeOptions?.url)
      if (getContext() === context) next()
      else runInContext(context, next)
    })
    done()
  }) as FastifyPlugin
  // What fastify-plugin sets: the hook applies to the whole app, not only an encapsulated child.
  plugin[Symbol.for('skip-override')] = true
  plugin[Symbol.for('fastify.display-name')] = '@intro/core'
  return plugin
}
