import http from 'node:http'
import Router from '@koa/router'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { type RequestContext, expressMiddleware, fastifyPlugin, getContext, koaMiddleware } from '../src/index.js'
import { listen, request } from './helpers/http.js'

const TENANTS = Array.from({ length: 40 }, (_, i) => `tenant-${i}-${Math.random().toString(36).slice(2, 8)}`)

interface Served {
  url: string
  /** Route template each handler saw, and the one the finish hook saw, per request. */
  routes: string[]
  close(): Promise<void>
}

/** Route templates read inside the handler (as SQL comments do) and at finish (as metrics do). */
function recordRoutes() {
  const routes: string[] = []
  const hooks = { onFinish: (ctx: RequestContext) => routes.push(`finish ${ctx.route}`) }
  const inHandler = () => routes.push(`handler ${getContext()?.route}`)
  return { routes, hooks, inHandler }
}

async function expressApp(lib: typeof express5): Promise<Served> {
  const { routes, hooks, inHandler } = recordRoutes()
  const app = lib()
  app.use(expressMiddleware({ hooks }))
  const items = lib.Router({ mergeParams: true })
  items.get('/items/:id', (_req, res) => {
    inHandler()
    res.json({ ok: true })
  })
  const projects = lib.Router({ mergeParams: true })
  const tasks = lib.Router({ mergeParams: true })
  tasks.get('/tasks/:taskId', (_req, res) => {
    inHandler()
    res.json({ ok: true })
  })
  projects.use('/p/:project', tasks)
  const site = lib()
  site.get('/pages/:page', (_req, res) => {
    inHandler()
    res.json({ ok: true })
  })
  app.use('/plain', items)
  app.use('/t/:tenant', items)
  app.use('/n/:tenant', projects)
  app.use('/s/:site', site)
  const served = await listen(http.createServer(app))
  return { url: served.url, routes, close: served.close }
}

async function expectOneTemplate(served: Served, path: (tenant: string) => string, template: string) {
  for (const tenant of TENANTS) {
    const reply = await request(`${served.url}${path(tenant)}`)
    expect(reply.status).toBe(200)
  }
  // The finish hook runs after the response is sent; wait for the last one.
  for (let i = 0; i < 100 && served.routes.length < TENANTS.length * 2; i++) await new Promise((r) => setTimeout(r, 20))
  expect(new Set(served.routes)).toEqual(new Set([`handler ${template}`, `finish ${template}`]))
  expect(served.routes.join('\n')).not.toContain('tenant-')
}

describe.each([
  { name: 'express 5', lib: express5 },
  { name: 'express 4', lib: express4 as unknown as typeof express5 },
])('expressMiddleware route template on $name', ({ lib }) => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  it('gives every tenant of a router mounted at /t/:tenant one template', async () => {
    served = await expressApp(lib)
    await expectOneTemplate(served, (tenant) => `/t/${tenant}/items/${tenant.length}`, '/t/:tenant/items/:id')
  })

  it('builds the template through nested routers', async () => {
    served = await expressApp(lib)
    await expectOneTemplate(served, (tenant) => `/n/${tenant}/p/${tenant}/tasks/1`, '/n/:tenant/p/:project/tasks/:taskId')
  })

  it('builds the template through a mounted sub-app', async () => {
    served = await expressApp(lib)
    await expectOneTemplate(served, (tenant) => `/s/${tenant}/pages/${tenant}`, '/s/:site/pages/:page')
  })

  it('names the mount the request came through when a router is mounted twice', async () => {
    served = await expressApp(lib)
    await expectOneTemplate(served, (tenant) => `/plain/items/${tenant}`, '/plain/items/:id')
  })

  it('keeps one template when the literal part of a mount differs in case or the path ends in a slash', async () => {
    served = await expressApp(lib)
    for (const path of ['/t/a/items/1', '/T/b/items/2', '/t/c/items/3/']) expect((await request(`${served.url}${path}`)).status).toBe(200)
    for (let i = 0; i < 100 && served.routes.length < 6; i++) await new Promise((r) => setTimeout(r, 20))
    expect(new Set(served.routes.map((r) => r.replace(/^\w+ /, '')))).toEqual(new Set(['/t/:tenant/items/:id']))
  })
})

describe('route template on fastify and koa', () => {
  let close: (() => Promise<unknown>) | undefined
  afterEach(async () => {
    await close?.()
    close = undefined
  })

  it('gives every tenant of a fastify plugin registered under /t/:tenant one template', async () => {
    const { routes, hooks, inHandler } = recordRoutes()
    const app = Fastify()
    await app.register(fastifyPlugin({ hooks }))
    await app.register(
      async (child) => {
        child.get('/items/:id', async () => {
          inHandler()
          return { ok: true }
        })
      },
      { prefix: '/t/:tenant' },
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    close = () => app.close()
    const { port } = app.server.address() as { port: number }
    await expectOneTemplate({ url: `http://127.0.0.1:${port}`, routes, close: async () => {} }, (t) => `/t/${t}/items/1`, '/t/:tenant/items/:id')
  })

  it('gives every tenant of a koa router nested under /t/:tenant one template', async () => {
    const { routes, hooks, inHandler } = recordRoutes()
    const app = new Koa()
    app.use(koaMiddleware({ hooks }))
    const items = new Router()
    items.get('/items/:id', (ctx) => {
      inHandler()
      ctx.body = { ok: true }
    })
    const root = new Router()
    root.use('/t/:tenant', items.routes())
    app.use(root.routes())
    const served = await listen(http.createServer(app.callback()))
    close = served.close
    await expectOneTemplate({ url: served.url, routes, close: served.close }, (t) => `/t/${t}/items/1`, '/t/:tenant/items/:id')
  })
})
