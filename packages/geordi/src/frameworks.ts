import type { IncomingMessage } from 'node:http'
// Types only: geordi never loads a framework. They resolve from the app's own install (Express's
// and Koa's types are @types/express and @types/koa; Fastify ships its own), hence the optional
// peer dependencies.
import type { Request as ExpressRequest } from 'express'
import type { FastifyRequest } from 'fastify'
import type { Context as KoaContext } from 'koa'
import { GeordiError, GeordiErrorCodes } from './errors.js'

/**
 * What `authorize` and `adminKey` receive, per value of the `framework` option: the framework's
 * own request, with whatever the app declared on it (`req.user` from passport, `ctx.state`).
 */
export interface GeordiFrameworkRequests {
  /** `wrap()` and `handle()`: Node's request. */
  node: IncomingMessage
  /** `express()` and `expressErrorHandler()`: Express's `Request`. */
  express: ExpressRequest
  /** `fastify()` and `fastifyErrorHandler()`: `FastifyRequest`. */
  fastify: FastifyRequest
  /** `koa()` and `koaErrorHandler()`: Koa's `Context`. */
  koa: KoaContext
}

/** One of the keys of {@link GeordiFrameworkRequests}. */
export type GeordiFramework = keyof GeordiFrameworkRequests

/** The adapters a {@link GeordiFramework} hands its own request to. */
export const FRAMEWORK_ADAPTERS = {
  node: ['wrap'],
  express: ['express', 'expressErrorHandler'],
  fastify: ['fastify', 'fastifyErrorHandler'],
  koa: ['koa', 'koaErrorHandler'],
} as const satisfies Record<GeordiFramework, readonly string[]>

/**
 * With `framework` set, `authorize` is typed for that framework's request: an adapter of another
 * framework would hand it something else, so asking for one is a configuration mistake.
 */
export function assertAdapterFits(framework: GeordiFramework | undefined, adapter: string): void {
  if (framework === undefined) return
  if ((FRAMEWORK_ADAPTERS[framework] as readonly string[]).includes(adapter)) return
  throw new GeordiError(
    `geordi.${adapter}() was called on a geordi created with framework '${framework}': its authorize hook expects the ${framework} request; use ${FRAMEWORK_ADAPTERS[framework].map((name) => `${name}()`).join(' or ')}, or create one geordi per framework`,
    { code: GeordiErrorCodes.frameworkMismatch },
  )
}
