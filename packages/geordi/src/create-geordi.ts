import type { IncomingMessage, ServerResponse } from 'node:http'
import { registerOwnSource, reportDiagnostic } from '@intro/core'
import { GEORDI_HEADER, mayBeGeordiRequest } from './api-trigger.js'
import { GEORDI_PARAM, withoutGeordiParam } from './geordi-param.js'
import { announceMode } from './mode-notice.js'
import { resolveGeordiOptions } from './options.js'
import { TECHNICAL_PAGE_HEADERS, technicalErrorPage } from './technical-error-page.js'
import { type GeordiFramework, type GeordiFrameworkRequests, assertAdapterFits } from './frameworks.js'
import type { GeordiOptions } from './types.js'
import { GeordiHandler } from './web-handler.js'

type Next = (error?: unknown) => void
interface FastifyRequestLike {
  raw: IncomingMessage
  query?: unknown
}
interface FastifyReplyLike {
  raw: ServerResponse
  hijack(): unknown
  code(statusCode: number): FastifyReplyLike
  header(name: string, value: string): FastifyReplyLike
  type(contentType: string): FastifyReplyLike
  send(payload?: unknown): unknown
}
interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void): unknown
}
interface KoaContextLike {
  req: IncomingMessage
  res: ServerResponse
  originalUrl?: string
  respond?: boolean
  status: number
  type: string
  body: unknown
  set(name: string, value: string): void
}

/** Fastify plugin signature, without importing fastify. */
export type GeordiFastifyPlugin = ((instance: FastifyInstanceLike, options: unknown, done: (error?: Error) => void) => void) & {
  [key: symbol]: unknown
}

/** What {@link createGeordi} returns: the framework-neutral handler and thin per-framework wrappers. */
export interface Geordi<Req = IncomingMessage> {
  /** `inline` or `queue`, as resolved from the options. */
  readonly mode: 'inline' | 'queue'
  /** Where results are kept. */
  readonly outDir: string
  /**
   * Answers `?__geordi__` requests of authorized users and resolves true; resolves false, having
   * done nothing, for everything else. `request` is what `authorize` receives (default `req`).
   */
  handle(req: IncomingMessage, res: ServerResponse, request?: Req): Promise<boolean>
  /** Runs `authorize`; false without a hook or when it throws. */
  isAuthorized(request: Req): Promise<boolean>
  /** Express/Connect middleware. Install it before body parsers, after whatever sets `req.user`. */
  express(): (req: IncomingMessage, res: ServerResponse, next: Next) => void
  /** Fastify plugin (an `onRequest` hook for the whole app); `authorize` gets the Fastify request. */
  fastify(): GeordiFastifyPlugin
  /** Koa middleware; `authorize` gets the Koa context. */
  koa(): (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>
  /**
   * Wraps a `node:http` listener: geordi requests are answered, and an error thrown (or
   * rejected) by the listener shows authorized users the technical error page. For everyone
   * else the error goes to `fallback`; without one (or when it fails too) the user gets a plain
   * 500 (the connection is closed when the response had started) and the error is reported to
   * core's diagnostics. Never an unhandled rejection or a hung request.
   */
  wrap(
    listener: (req: IncomingMessage, res: ServerResponse) => unknown,
    fallback?: (error: unknown, req: IncomingMessage, res: ServerResponse) => unknown,
  ): (req: IncomingMessage, res: ServerResponse) => void
  /** Express error middleware (install last): technical page for authorized users, `next(err)` for the rest. */
  expressErrorHandler(): (error: unknown, req: IncomingMessage, res: ServerResponse, next: Next) => void
  /**
   * For `fastify.setErrorHandler`: technical page for authorized users; others go to `fallback`,
   * or, without one, to Fastify's default error response.
   */
  fastifyErrorHandler<Request extends FastifyRequestLike = FastifyRequestLike, Reply extends FastifyReplyLike = FastifyReplyLike>(
    // Typed from your fallback: one taking Fastify's own request and reply fits as it is.
    fallback?: (error: unknown, request: Request, reply: Reply) => unknown,
  ): (error: unknown, request: Request, reply: Reply) => Promise<unknown>
  /** Koa middleware (install first): technical page for authorized users, rethrows for the rest. */
  koaErrorHandler(): (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>
  /** Waits for inline jobs and closes the Redis connection. */
  close(): Promise<void>
}

/**
 * Requests geordi does not answer reach the app as if `__geordi__` and `X-Geordi` were absent:
 * the parameter is removed from the URL (and so from Express's `req.query`, Koa's `ctx.query`)
 * and the header from `req.headers`, also for a user who is not authorized to see that they
 * mean anything.
 */
function hideGeordiParam(req: IncomingMessage & { originalUrl?: string }): void {
  if (req.headers[GEORDI_HEADER] !== undefined) delete req.headers[GEORDI_HEADER]
  const url = withoutGeordiParam(req.url)
  if (url !== undefined) req.url = url
  const original = withoutGeordiParam(req.originalUrl)
  if (original !== undefined) req.originalUrl = original
}

function statusOf(error: unknown): number {
  const code = (error as { statusCode?: unknown; status?: unknown } | null)?.statusCode ?? (error as { status?: unknown } | null)?.status
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500
}

/** The end of a wrapped listener's failure when nothing else answered: report it, never leave the request hanging. */
function answerListenerError(error: unknown, res: ServerResponse): void {
  reportDiagnostic({ level: 'error', scope: 'geordi.wrap', message: 'the wrapped listener failed; answered 500', error })
  if (!res.headersSent) {
    res.statusCode = 500
    res.setHeader('Content-Type', 'text/plain; charset=utf-8')
    res.end('Internal Server Error')
  } else if (!res.writableEnded) {
    res.destroy()
  }
}

/** The technical page, or `undefined` (reported) when the error cannot even be described. */
function pageOrUndefined(error: unknown, req: IncomingMessage): string | undefined {
  try {
    return technicalErrorPage(error, req)
  } catch (failure) {
    reportDiagnostic({ level: 'error', scope: 'geordi.errors', message: 'rendering the technical error page failed', error: failure })
    return undefined
  }
}

function sendTechnicalPage(error: unknown, req: IncomingMessage, res: ServerResponse): void {
  const body = technicalErrorPage(error, req)
  res.statusCode = statusOf(error)
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  for (const [name, value] of Object.entries(TECHNICAL_PAGE_HEADERS)) res.setHeader(name, value)
  res.end(body)
}

/**
 * Creates the `?__geordi__` middleware and the admin-only technical error pages. With
 * `framework`, `authorize` receives that framework's request, typed as such.
 *
 * @example
 * ```ts
 * const geordi = createGeordi({ framework: 'express', authorize: (req) => req.get('x-admin') === 'yes', redisUrl: process.env.REDIS_URL })
 * app.use(geordi.express())
 * // ... routes ...
 * app.use(geordi.expressErrorHandler())
 * ```
 */
export function createGeordi<F extends GeordiFramework>(
  options: GeordiOptions<GeordiFrameworkRequests[F]> & { framework: F },
): Geordi<GeordiFrameworkRequests[F]>
/**
 * Without `framework`: the hooks get Node's `IncomingMessage`, or the type you annotate their
 * parameter with (or pass as `Req`), and every adapter is available.
 */
export function createGeordi<Req = IncomingMessage>(options?: GeordiOptions<Req>): Geordi<Req>
export function createGeordi<Req>(options: GeordiOptions<Req> = {}): Geordi<Req> {
  // Its middleware sits in every request's stack: a slow-request report folds it as the toolkit's.
  registerOwnSource(import.meta.url)
  const resolved = resolveGeordiOptions(options)
  if (resolved.authorize === undefined) {
    reportDiagnostic({ level: 'warn', scope: 'geordi', message: 'no authorize hook configured: ?__geordi__ and technical error pages are disabled for everyone' })
  }
  announceMode({ requested: options.mode, mode: resolved.mode, queueName: resolved.queueName, redisUrl: options.redisUrl, env: options.env ?? process.env })
  const handler = new GeordiHandler<Req>(resolved)
  const fail = (error: unknown) => reportDiagnostic({ level: 'error', scope: 'geordi.handler', message: 'geordi middleware failed', error })

  const geordi: Geordi<Req> = {
    mode: resolved.mode,
    outDir: resolved.outDir,
    handle: (req, res, request) => handler.handle(req, res, request ?? (req as Req)),
    isAuthorized: (request) => handler.isAuthorized(request),
    express: () => {
      assertAdapterFits(resolved.framework, 'express')
      return function geordiExpress(req, res, next) {
        if (!mayBeGeordiRequest(req)) return next()
        const pass = () => {
          hideGeordiParam(req)
          next()
        }
        handler.handle(req, res, req as Req).then(
          (handled) => handled || pass(),
          (error: unknown) => {
            fail(error)
            pass()
          },
        )
      }
    },
    fastify: () => {
      assertAdapterFits(resolved.framework, 'fastify')
      const plugin = ((instance, _options, done) => {
        instance.addHook('onRequest', (request, reply, next) => {
          if (!mayBeGeordiRequest(request.raw)) return next()
          // Fastify has parsed the query already: the parameter goes from both.
          const pass = () => {
            hideGeordiParam(request.raw)
            if (request.query !== null && typeof request.query === 'object') delete (request.query as Record<string, unknown>)[GEORDI_PARAM]
            next()
          }
          handler.handle(request.raw, reply.raw, request as Req).then(
            (handled) => {
              if (!handled) return pass()
              reply.hijack()
              next()
            },
            (error: unknown) => {
              fail(error)
              pass()
            },
          )
        })
        done()
      }) as GeordiFastifyPlugin
      plugin[Symbol.for('skip-override')] = true
      plugin[Symbol.for('fastify.display-name')] = '@intro/geordi'
      return plugin
    },
    koa: () => {
      assertAdapterFits(resolved.framework, 'koa')
      return async function geordiKoa(ctx, next) {
        if (!mayBeGeordiRequest(ctx.req)) return next()
        if (await handler.handle(ctx.req, ctx.res, ctx as Req)) {
          ctx.respond = false
          return
        }
        hideGeordiParam(ctx.req)
        const original = withoutGeordiParam(ctx.originalUrl)
        if (original !== undefined) ctx.originalUrl = original
        return next()
      }
    },
    wrap: (listener, fallback) => {
      assertAdapterFits(resolved.framework, 'wrap')
      return function geordiListener(req, res) {
        const onError = (error: unknown) => {
          handler
            .isAuthorized(req as Req)
            .then(async (ok) => {
              if (ok && !res.headersSent) return sendTechnicalPage(error, req, res)
              if (fallback === undefined) return answerListenerError(error, res)
              await fallback(error, req, res)
            })
            .catch((failure: unknown) => {
              // The technical page or the fallback failed: the original error still gets its 500.
              reportDiagnostic({ level: 'error', scope: 'geordi.wrap', message: 'answering a listener error failed', error: failure })
              answerListenerError(error, res)
            })
        }
        const run = () => {
          let result: unknown
          try {
            result = listener(req, res)
          } catch (error) {
            return onError(error)
          }
          if (result instanceof Promise) result.catch(onError)
        }
        if (!mayBeGeordiRequest(req)) return run()
        const pass = () => {
          hideGeordiParam(req)
          run()
        }
        handler.handle(req, res, req as Req).then(
          (handled) => handled || pass(),
          (error: unknown) => {
            fail(error)
            pass()
          },
        )
      }
    },
    expressErrorHandler: () => {
      assertAdapterFits(resolved.framework, 'expressErrorHandler')
      // Express recognises error middleware by its four parameters.
      return function geordiExpressErrors(error: unknown, req: IncomingMessage, res: ServerResponse, next: Next) {
        if (res.headersSent) return next(error)
        handler
          .isAuthorized(req as Req)
          .then((ok) => (ok ? sendTechnicalPage(error, req, res) : next(error)))
          .catch((failure: unknown) => {
            reportDiagnostic({ level: 'error', scope: 'geordi.errors', message: 'rendering the technical error page failed', error: failure })
            if (!res.headersSent) next(error)
          })
      }
    },
    fastifyErrorHandler: (fallback) => {
      assertAdapterFits(resolved.framework, 'fastifyErrorHandler')
      return async function geordiFastifyErrors(this: unknown, error, request, reply) {
        const page = (await handler.isAuthorized(request as unknown as Req)) ? pageOrUndefined(error, request.raw) : undefined
        if (page !== undefined) {
          reply.code(statusOf(error)).type('text/html; charset=utf-8')
          for (const [name, value] of Object.entries(TECHNICAL_PAGE_HEADERS)) reply.header(name, value)
          return reply.send(page)
        }
        if (fallback) return fallback.call(this, error, request, reply)
        // Thrown from a custom error handler, the error goes on to Fastify's default handler.
        throw error
      }
    },
    koaErrorHandler: () => {
      assertAdapterFits(resolved.framework, 'koaErrorHandler')
      return async function geordiKoaErrors(ctx, next) {
        try {
          return await next()
        } catch (error) {
          if (!(await handler.isAuthorized(ctx as Req))) throw error
          const page = pageOrUndefined(error, ctx.req)
          // Without a page, Koa's own error handling answers, as for everyone else.
          if (page === undefined) throw error
          ctx.status = statusOf(error)
          ctx.type = 'text/html; charset=utf-8'
          for (const [name, value] of Object.entries(TECHNICAL_PAGE_HEADERS)) ctx.set(name, value)
          ctx.body = page
        }
      }
    },
    close: () => handler.close(),
  }
  return geordi
}
