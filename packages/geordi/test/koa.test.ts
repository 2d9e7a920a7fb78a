import { createServer } from 'node:http'
import { createGeordi, type Geordi, GeordiErrorCodes } from '@intro/geordi'
import Koa, { type Context } from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { crunchNumbersForGeordi } from './fixtures/express-app.mjs'
import { ADMIN, get, listen, removeDir, startProfile, tempDir, waitForJob } from './helpers.js'

let server: { url: string; close(): Promise<void> }
let geordi: Geordi<Context>
let outDir: string
const appErrors: Error[] = []
const authorizedContexts: Context[] = []

beforeAll(async () => {
  outDir = tempDir('koa')
  geordi = createGeordi({
    // Koa's ctx, not the IncomingMessage: ctx.get() is Koa's header accessor, typed with no type argument.
    framework: 'koa',
    authorize: (ctx) => {
      authorizedContexts.push(ctx)
      return ctx.get('cookie') === ADMIN.cookie
    },
    outDir,
    env: {},
  })
  const app = new Koa()
  app.use(geordi.koaErrorHandler())
  app.use(geordi.koa())
  app.use(async (ctx) => {
    if (ctx.path === '/work') ctx.body = { result: crunchNumbersForGeordi(250) }
    else if (ctx.path === '/boom') throw new Error('koa route failure')
    else if (ctx.path === '/forbidden') ctx.throw(403, 'koa forbidden route')
    else if (ctx.path === '/seen') ctx.body = { url: ctx.url, originalUrl: ctx.originalUrl, query: ctx.query }
    else ctx.body = 'hello'
  })
  // With an error listener Koa reports there instead of printing: the errors that reach the app.
  app.on('error', (error) => appErrors.push(error))
  server = await listen(createServer(app.callback()))
})

afterAll(async () => {
  await server?.close()
  await geordi?.close()
  if (outDir) removeDir(outDir)
})

describe('geordi.koa()', () => {
  it('profiles an admin request and leaves everyone else to the app', async () => {
    const plain = await get(`${server.url}/work?__geordi__`)
    expect(plain.status).toBe(200)
    expect(await plain.json()).toHaveProperty('result')
    const seen = await get(`${server.url}/seen?a=1&__geordi__=x`)
    expect(await seen.json()).toEqual({ url: '/seen?a=1', originalUrl: '/seen?a=1', query: { a: '1' } })

    const status = await waitForJob((await startProfile(server.url, '/work')).pageUrl)
    expect(status).toMatchObject({ state: 'done', mode: 'inline', request: { method: 'GET', url: `${server.url}/work` }, response: { statusCode: 200 } })
    expect(status.topSelf?.length).toBeGreaterThan(0)
    const pdf = await get(`${server.url}/work?__geordi__=${status.id}.pdf`, ADMIN)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(authorizedContexts.some((ctx) => typeof ctx.get === 'function' && ctx.req !== undefined)).toBe(true)
  })
})

describe("a geordi created with framework: 'koa'", () => {
  it("refuses another framework's adapter, whose request its authorize hook would not understand", () => {
    for (const adapter of [() => geordi.express(), () => geordi.fastify(), () => geordi.wrap(() => {})]) {
      expect(adapter).toThrow(expect.objectContaining({ name: 'GeordiError', code: GeordiErrorCodes.frameworkMismatch }))
    }
  })
})

describe('geordi.koaErrorHandler()', () => {
  it('shows admins the technical page, with the error status, secrets redacted', async () => {
    const admin = await get(`${server.url}/boom?token=abc123`, ADMIN)
    expect(admin.status).toBe(500)
    expect(admin.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(admin.headers.get('x-content-type-options')).toBe('nosniff')
    const page = await admin.text()
    expect(page).toContain('<title>Error: koa route failure</title>')
    expect(page).toContain('koa.test.ts')
    for (const secret of ['admin-cookie-value', 'abc123']) expect(page).not.toContain(secret)

    const forbidden = await get(`${server.url}/forbidden`, ADMIN)
    expect(forbidden.status).toBe(403)
    expect(await forbidden.text()).toContain('koa forbidden route')
    expect(appErrors).toEqual([])
  })

  it("gives everyone else Koa's normal error response", async () => {
    const user = await get(`${server.url}/boom`)
    expect(user.status).toBe(500)
    expect(await user.text()).toBe('Internal Server Error')
    const forbidden = await get(`${server.url}/forbidden`, { cookie: 'session=someone-else' })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.text()).toBe('koa forbidden route')
    expect(appErrors.map((error) => error.message)).toEqual(['koa route failure', 'koa forbidden route'])
  })
})
