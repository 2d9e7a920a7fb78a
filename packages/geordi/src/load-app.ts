import { type RequestListener, Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describeValue } from '@intro/core'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import type { ReplayTarget } from './replay.js'

/** The app, listening on an ephemeral loopback port inside the worker. */
export interface LoadedApp {
  target: ReplayTarget
  close(): Promise<void>
}

interface FastifyLike {
  listen(options: { port: number; host: string }): Promise<unknown>
  close(): Promise<unknown>
  server: Server
}
interface KoaLike {
  callback(): RequestListener
}

function isFastify(value: unknown): value is FastifyLike {
  const v = value as Partial<FastifyLike> | null
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof v.listen === 'function' &&
    typeof (v as { inject?: unknown }).inject === 'function' &&
    v.server instanceof Server
  )
}

function isKoa(value: unknown): value is KoaLike {
  return value !== null && typeof value === 'object' && typeof (value as Partial<KoaLike>).callback === 'function'
}

/** An Express/Connect app or a `(req, res)` listener, as opposed to a factory. */
function isListener(value: Function): boolean {
  const app = value as { handle?: unknown; use?: unknown }
  return value.length >= 2 || (typeof app.handle === 'function' && typeof app.use === 'function')
}

async function listen(server: Server): Promise<LoadedApp> {
  if (!server.listening) {
    await new Promise<void>((done, fail) => {
      server.once('error', fail)
      server.listen(0, '127.0.0.1', () => {
        server.off('error', fail)
        done()
      })
    })
  }
  const { port } = server.address() as AddressInfo
  return {
    target: { host: '127.0.0.1', port },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections?.()
        server.close(() => done())
      }),
  }
}

async function fromValue(value: unknown, depth: number): Promise<LoadedApp> {
  if (isFastify(value)) {
    await value.listen({ port: 0, host: '127.0.0.1' })
    const { port } = value.server.address() as AddressInfo
    return { target: { host: '127.0.0.1', port }, close: async () => void (await value.close()) }
  }
  if (value instanceof Server) return listen(value)
  if (isKoa(value)) return listen(createServer(value.callback()))
  if (typeof value === 'function') {
    if (isListener(value)) return listen(createServer(value as RequestListener))
    if (depth === 0) return fromValue(await (value as () => unknown)(), 1)
  }
  throw new GeordiError(
    `the app module must export a request listener, an Express/Koa app, a Fastify instance, an http.Server or a factory of one; got ${describeValue(value)}`,
    { code: GeordiErrorCodes.appExport },
  )
}

/** Picks the app out of a module: `createApp`, else `default`, else `app` (CommonJS `module.exports` arrives as `default`). */
function pickExport(mod: Record<string, unknown>): unknown {
  let value = mod.createApp ?? mod.default ?? mod.app
  const inner = value as Record<string, unknown> | null | undefined
  // A transpiled CommonJS module with `exports.default = app`.
  if (inner !== null && typeof inner === 'object' && !isKoa(inner) && !isFastify(inner) && !(inner instanceof Server)) {
    value = inner.createApp ?? inner.default ?? inner.app ?? value
  }
  return value
}

/**
 * Loads the app the worker replays requests against and starts it on an ephemeral
 * 127.0.0.1 port. `GEORDI_WORKER=1` is set first so the module can skip its own `listen()`.
 */
export async function loadApp(app: unknown): Promise<LoadedApp> {
  if (typeof app !== 'string') return fromValue(app, 0)
  process.env.GEORDI_WORKER = '1'
  const mod = (await import(pathToFileURL(resolve(app)).href)) as Record<string, unknown>
  return fromValue(pickExport(mod), 0)
}
