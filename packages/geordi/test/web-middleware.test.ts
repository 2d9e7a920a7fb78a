import { readdirSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { onDiagnostic } from '@intro/core'
import { createGeordi, GeordiErrorCodes, startGeordiWorker } from '@intro/geordi'
import { freePort } from '@intro/test-utils'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp, crunchNumbersForGeordi } from './fixtures/express-app.mjs'
import { ADMIN, download, get, listen, pdfText, removeDir, startProfile, tempDir, waitForJob } from './helpers.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const isAdmin = (req: IncomingMessage) => req.headers.cookie === ADMIN.cookie

async function expressApp(overrides: Record<string, unknown>) {
  const outDir = tempDir('web')
  const app = createApp({ outDir, env: {}, ...overrides })
  const server = await listen(createServer(app))
  cleanups.push(() => removeDir(outDir), () => app.geordi.close(), server.close)
  return { ...server, outDir }
}

describe('createGeordi when Redis is unreachable', () => {
  it('shows the admin an error page at once when the connection is refused, and leaves other requests alone', async () => {
    // Nothing listens on the port: the connection is refused at once, so the page must not wait
    // for enqueueTimeoutMs (20 s here; the bound below is loose, the difference is not).
    const port = await freePort()
    const web = await expressApp({ redisUrl: `redis://127.0.0.1:${port}`, enqueueTimeoutMs: 20_000 })
    const started = Date.now()
    const [admin, normal] = await Promise.all([get(`${web.url}/cpu?ms=1&__geordi__`, ADMIN), get(`${web.url}/hello`)])
    expect(Date.now() - started).toBeLessThan(3000)
    expect(admin.status).toBe(503)
    expect(await admin.text()).toContain(GeordiErrorCodes.queueUnavailable)
    expect(normal.status).toBe(200)
    expect(await normal.text()).toBe('hello')
    const again = await get(`${web.url}/hello`)
    expect(await again.text()).toBe('hello')
    // The next attempt connects afresh, and fails as fast.
    const retried = Date.now()
    expect((await get(`${web.url}/cpu?ms=1&__geordi__`, ADMIN)).status).toBe(503)
    expect(Date.now() - retried).toBeLessThan(3000)
  })
})

describe('createGeordi without an authorize hook', () => {
  it('warns at start-up and serves ?__geordi__ requests normally', async () => {
    const events: { level: string; scope: string }[] = []
    const unsubscribe = onDiagnostic((event) => events.push(event))
    cleanups.push(unsubscribe)
    const web = await expressApp({ authorize: undefined })
    expect(events).toContainEqual(expect.objectContaining({ level: 'warn', scope: 'geordi' }))
    const res = await get(`${web.url}/hello?__geordi__`, ADMIN)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('hello')
  })

  it('treats a throwing or rejecting hook as "no"', async () => {
    cleanups.push(onDiagnostic(() => {}))
    for (const authorize of [() => { throw new Error('hook bug') }, async () => Promise.reject(new Error('hook bug'))]) {
      const web = await expressApp({ authorize })
      const res = await get(`${web.url}/hello?__geordi__`, ADMIN)
      expect(await res.text()).toBe('hello')
    }
  })
})

describe('an async authorize hook', () => {
  it('is awaited: the admin it resolves true for after a delay is profiled, others are served normally', async () => {
    const authorize = async (req: IncomingMessage) => {
      await new Promise((resolve) => setTimeout(resolve, 150))
      return isAdmin(req)
    }
    const web = await expressApp({ authorize })
    const res = await get(`${web.url}/hello?__geordi__`, ADMIN)
    expect(res.status).toBe(303)
    const pageUrl = new URL(res.headers.get('location')!, web.url).href
    expect((await waitForJob(pageUrl)).state).toBe('done')
    const other = await get(`${web.url}/hello?__geordi__`, { cookie: 'session=someone-else' })
    expect(other.status).toBe(200)
    expect(await other.text()).toBe('hello')
  })
})

describe('createGeordi in inline mode (no Redis)', () => {
  it('profiles in the same process and serves the PDF', async () => {
    const web = await expressApp({})
    const { pageUrl, id } = await startProfile(web.url, '/cpu?ms=150')
    const waiting = await get(pageUrl, ADMIN)
    expect(waiting.headers.get('content-security-policy')).toContain("script-src 'nonce-")
    const status = await waitForJob(pageUrl)
    expect(status).toMatchObject({ state: 'done', mode: 'inline' })
    const pdfPath = join(web.outDir, `${id}.pdf`)
    await download(`${pageUrl}.pdf`, pdfPath)
    expect(pdfText(pdfPath)).toContain(crunchNumbersForGeordi.name)
  })

  it('fails a job whose rendering outlasts renderTimeoutMs, shows the reason, and stops the render', async () => {
    const web = await expressApp({ renderTimeoutMs: 1 })
    const started = Date.now()
    const { pageUrl, id } = await startProfile(web.url, '/cpu?ms=50')
    const status = await waitForJob(pageUrl)
    expect(status.state).toBe('failed')
    expect(status.error?.code).toBe(GeordiErrorCodes.renderFailed)
    expect(Date.now() - started).toBeLessThan(15_000)
    const page = await get(pageUrl, ADMIN)
    expect(page.status).toBe(200)
    expect(page.headers.get('x-geordi-error')).toBe(GeordiErrorCodes.renderFailed)
    expect(await page.text()).toContain(GeordiErrorCodes.renderFailed)
    expect((await get(`${pageUrl}.pdf`, ADMIN)).status).toBe(404)
    // The abandoned render does not go on to write a report for the failed job.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(readdirSync(join(web.outDir, id))).toEqual(['status.json'])
  })

  it('rejects a body larger than maxBodyBytes with 413', async () => {
    const web = await expressApp({ maxBodyBytes: 10, replayUnsafeMethods: true })
    const res = await get(`${web.url}/echo?__geordi__`, ADMIN, { method: 'POST', body: 'x'.repeat(100) })
    expect(res.status).toBe(413)
    expect(await res.text()).toContain(GeordiErrorCodes.bodyTooLarge)
  })
})

describe('geordi.fastify()', () => {
  it('answers admins from an onRequest hook and leaves other requests to the routes', async () => {
    const outDir = tempDir('fastify')
    const geordi = createGeordi<{ headers: IncomingMessage['headers'] }>({ authorize: (request) => request.headers.cookie === ADMIN.cookie, outDir, env: {} })
    const app = Fastify()
    await app.register(geordi.fastify())
    app.get('/work', async () => ({ result: crunchNumbersForGeordi(250) }))
    app.get('/seen', async (request) => ({ url: request.url, query: request.query }))
    app.get('/boom', async () => {
      throw new Error('fastify route failure')
    })
    app.setErrorHandler(geordi.fastifyErrorHandler())
    await app.listen({ port: 0, host: '127.0.0.1' })
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    cleanups.push(() => removeDir(outDir), () => geordi.close(), () => app.close())

    const plain = await get(`${url}/work?__geordi__`)
    expect(plain.status).toBe(200)
    expect(await plain.json()).toHaveProperty('result')
    // For everyone else the parameter is gone from what the route sees, as if it were absent.
    expect(await (await get(`${url}/seen?a=1&__geordi__`)).json()).toEqual({ url: '/seen?a=1', query: { a: '1' } })
    const status = await waitForJob((await startProfile(url, '/work')).pageUrl)
    expect(status).toMatchObject({ state: 'done', response: { statusCode: 200 } })

    const adminError = await get(`${url}/boom`, ADMIN)
    expect(adminError.status).toBe(500)
    expect(adminError.headers.get('x-content-type-options')).toBe('nosniff')
    const page = await adminError.text()
    expect(page).toContain('<title>Error: fastify route failure</title>')
    expect(page).toContain('fastify route failure')
    expect(page).not.toContain('admin-cookie-value')
    const userError = await get(`${url}/boom`)
    expect(userError.status).toBe(500)
    expect(await userError.json()).toMatchObject({ message: 'fastify route failure' })
  })
})

describe('geordi.wrap()', () => {
  it('serves geordi requests around a node:http listener and shows admins thrown errors', async () => {
    const outDir = tempDir('node')
    const geordi = createGeordi({ authorize: isAdmin, outDir, env: {} })
    const server = await listen(
      createServer(
        geordi.wrap((req, res) => {
          if (req.url?.startsWith('/boom')) throw new Error('listener failure')
          res.end(`ok ${crunchNumbersForGeordi(100)}`)
        }),
      ),
    )
    cleanups.push(() => removeDir(outDir), () => geordi.close(), server.close)
    expect((await waitForJob((await startProfile(server.url, '/')).pageUrl)).state).toBe('done')
    const error = await get(`${server.url}/boom`, ADMIN)
    expect(error.status).toBe(500)
    expect(await error.text()).toContain('listener failure')
  })
})

describe('geordi.wrap() for users who are not authorized', () => {
  async function wrapped(listener: Parameters<ReturnType<typeof createGeordi>['wrap']>[0], fallback?: Parameters<ReturnType<typeof createGeordi>['wrap']>[1]) {
    const outDir = tempDir('node-errors')
    const geordi = createGeordi({ authorize: isAdmin, outDir, env: {} })
    const server = await listen(createServer(geordi.wrap(listener, fallback)))
    cleanups.push(() => removeDir(outDir), () => geordi.close(), server.close)
    return server
  }

  function collectRejections(): unknown[] {
    const rejections: unknown[] = []
    const onRejection = (reason: unknown) => rejections.push(reason)
    process.on('unhandledRejection', onRejection)
    cleanups.push(() => void process.off('unhandledRejection', onRejection))
    return rejections
  }

  it('answers 500 and reports the error, without an unhandled rejection, whether the listener throws or rejects', async () => {
    const rejections = collectRejections()
    const events: { level: string; scope: string; error?: unknown }[] = []
    cleanups.push(onDiagnostic((event) => events.push(event)))
    const server = await wrapped(async (req) => {
      if (req.url === '/sync') throw new Error('sync listener failure')
      await new Promise((resolve) => setTimeout(resolve, 5))
      throw new Error('async listener failure')
    })
    for (const path of ['/sync', '/async']) {
      // Bounded: the failure this guards against is a request left hanging.
      const res = await get(`${server.url}${path}`, {}, { signal: AbortSignal.timeout(10_000) })
      expect(res.status).toBe(500)
      const text = await res.text()
      expect(text).not.toContain('listener failure')
    }
    const admin = await get(`${server.url}/async`, ADMIN)
    expect(admin.status).toBe(500)
    expect(await admin.text()).toContain('async listener failure')
    // Unhandled rejections surface on a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(rejections).toEqual([])
    const reported = events.filter((event) => event.scope === 'geordi.wrap').map((event) => (event.error as Error).message)
    expect(reported).toEqual(['sync listener failure', 'async listener failure'])
  })

  it('hands the error to the fallback, whose response the user gets', async () => {
    const rejections = collectRejections()
    const seen: unknown[] = []
    const server = await wrapped(
      () => {
        throw new Error('listener failure')
      },
      (error, _req, res) => {
        seen.push(error)
        res.statusCode = 502
        res.end('app error page')
      },
    )
    const res = await get(`${server.url}/`, {}, { signal: AbortSignal.timeout(10_000) })
    expect(res.status).toBe(502)
    expect(await res.text()).toBe('app error page')
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(Error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(rejections).toEqual([])
  })
})

describe('geordi.expressErrorHandler()', () => {
  it('shows admins the error, stack and redacted request; others get the app error response', async () => {
    const web = await expressApp({})
    const admin = await get(`${web.url}/throw?token=abc123`, { ...ADMIN, authorization: 'Bearer sekrit' })
    expect(admin.status).toBe(500)
    expect(admin.headers.get('x-content-type-options')).toBe('nosniff')
    expect(admin.headers.get('content-security-policy')).toContain("default-src 'none'")
    const page = await admin.text()
    expect(page).toContain('<title>Error: fixture route failure</title>')
    expect(page).toContain('express-app.mjs')
    for (const secret of ['admin-cookie-value', 'sekrit', 'abc123']) expect(page).not.toContain(secret)
    const user = await get(`${web.url}/throw`)
    expect(user.status).toBe(500)
    expect(await user.text()).toBe('Something went wrong')
  })
})

describe('option validation', () => {
  it('throws TypeError/RangeError naming the option', () => {
    expect(() => createGeordi({ timeLimitMs: -1, env: {} })).toThrow(RangeError)
    expect(() => createGeordi({ mode: 'queue', env: {} })).toThrow(TypeError)
    expect(() => createGeordi({ redisUrl: 'http://x', env: {} })).toThrow(TypeError)
    expect(() => createGeordi({ authorize: 'yes' as never, env: {} })).toThrow(TypeError)
    expect(() => createGeordi({ queueName: 'a:b', env: {} })).toThrow(TypeError)
  })

  it('rejects a worker without an app, or whose module exports no app', async () => {
    await expect(startGeordiWorker({ app: '' })).rejects.toThrow(TypeError)
    await expect(startGeordiWorker({ app: 42, env: {} })).rejects.toMatchObject({ code: GeordiErrorCodes.appExport })
  })
})
