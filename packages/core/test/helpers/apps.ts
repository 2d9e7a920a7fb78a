/**
 * The same small app on every supported framework, instrumented with core's adapter:
 *   GET  /users/:id            → 200 { id, same }   (context id before and after awaits)
 *   GET  /api/items/:itemId    → 200 { id, same }   (a router mounted under a prefix)
 *   POST /users/:id/notes      → 201 { id, body }   (reads a JSON body)
 *   GET  /slow                 → waits for `release()` (client aborts meanwhile)
 *   anything else              → 404
 */
import http from 'node:http'
import Router from '@koa/router'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa from 'koa'
import { type AdapterOptions, expressMiddleware, fastifyPlugin, getContext, instrumentServer, koaMiddleware, wrapHandler } from '../../src/index.js'
import { delay, listen } from './http.js'

export interface TestApp {
  url: string
  port: number
  /** Lets every waiting `/slow` handler finish. */
  release(): void
  close(): Promise<void>
}

export interface Probe {
  id: string | null
  same: boolean
}

/** What handlers report: the context id, and whether it stayed the same across awaits. */
export async function probe(): Promise<Probe> {
  const before = getContext()?.id
  await delay(2)
  await new Promise((resolve) => setImmediate(resolve))
  await Promise.resolve()
  const after = getContext()?.id
  return { id: after ?? null, same: before !== undefined && before === after }
}

function gate() {
  let open: () => void = () => {}
  let opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return {
    wait: () => opened,
    release() {
      open()
      opened = Promise.resolve()
    },
  }
}

type Build = (options: AdapterOptions) => Promise<TestApp>

async function buildExpress(lib: typeof express5, options: AdapterOptions): Promise<TestApp> {
  const slow = gate()
  const app = lib()
  app.use(expressMiddleware(options))
  app.use(lib.json())
  app.get('/users/:id', (_req, res, next) => {
    probe().then((result) => res.json(result), next)
  })
  app.post('/users/:id/notes', (req, res) => {
    res.status(201).json({ id: getContext()?.id ?? null, body: req.body })
  })
  app.get('/slow', (_req, res) => {
    void slow.wait().then(() => res.end('late'))
  })
  const router = lib.Router()
  router.get('/items/:itemId', (_req, res, next) => {
    probe().then((result) => res.json(result), next)
  })
  app.use('/api', router)
  const server = http.createServer(app)
  return { ...(await listen(server)), release: slow.release }
}

async function buildFastify(options: AdapterOptions): Promise<TestApp> {
  const slow = gate()
  const app = Fastify()
  await app.register(fastifyPlugin(options))
  app.get('/users/:id', async () => probe())
  app.post('/users/:id/notes', async (request, reply) => {
    reply.code(201)
    return { id: getContext()?.id ?? null, body: request.body }
  })
  app.get('/slow', async () => {
    await slow.wait()
    return 'late'
  })
  await app.register(
    async (child) => {
      child.get('/items/:itemId', async () => probe())
    },
    { prefix: '/api' },
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    release: slow.release,
    close: async () => {
      slow.release()
      await app.close()
    },
  }
}

async function buildKoa(options: AdapterOptions): Promise<TestApp> {
  const slow = gate()
  const app = new Koa()
  app.use(koaMiddleware(options))
  const router = new Router()
  router.get('/users/:id', async (ctx) => {
    ctx.body = await probe()
  })
  router.post('/users/:id/notes', async (ctx) => {
    let text = ''
    for await (const chunk of ctx.req) text += String(chunk)
    ctx.status = 201
    ctx.body = { id: getContext()?.id ?? null, body: JSON.parse(text) }
  })
  router.get('/slow', async (ctx) => {
    await slow.wait()
    ctx.body = 'late'
  })
  const api = new Router({ prefix: '/api' })
  api.get('/items/:itemId', async (ctx) => {
    ctx.body = await probe()
  })
  app.use(router.routes())
  app.use(api.routes())
  return { ...(await listen(http.createServer(app.callback()))), release: slow.release }
}

/** A plain node:http app; the body is read with 'data'/'end' listeners. */
function nodeHandler(slow: ReturnType<typeof gate>): http.RequestListener {
  return (req, res) => {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(value))
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (req.method === 'GET' && (/^\/users\/[^/]+$/.test(path) || /^\/api\/items\/[^/]+$/.test(path))) {
      void probe().then((result) => json(200, result))
    } else if (req.method === 'POST' && /^\/users\/[^/]+\/notes$/.test(path)) {
      let text = ''
      req.on('data', (chunk: Buffer) => {
        text += chunk
      })
      req.on('end', () => json(201, { id: getContext()?.id ?? null, body: JSON.parse(text) }))
    } else if (path === '/slow') {
      void slow.wait().then(() => res.end('late'))
    } else json(404, { error: 'not found' })
  }
}

async function buildWrapHandler(options: AdapterOptions): Promise<TestApp> {
  const slow = gate()
  return { ...(await listen(http.createServer(wrapHandler(nodeHandler(slow), options)))), release: slow.release }
}

async function buildInstrumentServer(options: AdapterOptions): Promise<TestApp> {
  const slow = gate()
  const server = http.createServer(nodeHandler(slow))
  instrumentServer(server, options)
  return { ...(await listen(server)), release: slow.release }
}

function withRelease(build: Build): Build {
  return async (options) => {
    const app = await build(options)
    return {
      ...app,
      close: async () => {
        app.release()
        await app.close()
      },
    }
  }
}

export interface Framework {
  name: string
  build: Build
  /** Route templates the framework reports, or undefined when it has no router. */
  routes: { user: string; item: string; notes: string } | undefined
}

const templates = { user: '/users/:id', item: '/api/items/:itemId', notes: '/users/:id/notes' }

export const frameworks: Framework[] = [
  { name: 'node:http wrapHandler', build: withRelease(buildWrapHandler), routes: undefined },
  { name: 'node:http instrumentServer', build: withRelease(buildInstrumentServer), routes: undefined },
  { name: 'express 5', build: withRelease((o) => buildExpress(express5, o)), routes: templates },
  { name: 'express 4', build: withRelease((o) => buildExpress(express4 as unknown as typeof express5, o)), routes: templates },
  { name: 'fastify 5', build: buildFastify, routes: templates },
  { name: 'koa 2 + @koa/router', build: withRelease(buildKoa), routes: templates },
]
