import { readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { GeordiErrorCodes } from '@intro/geordi'
import { type RedisServer, startRedis } from '@intro/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import { ADMIN, get, listen, rawRequest, removeDir, startWorkerProcess, tempDir, waitForJob, type WorkerProcess } from './helpers.js'

let redis: RedisServer
let client: Redis
let worker: WorkerProcess
let outDir: string
const queueName = `geordi-safety-${process.pid}`
const started: { close(): Promise<void>; geordi: { close(): Promise<void> } }[] = []

/** A real Express app with geordi: on BullMQ with the real worker, or inline. */
async function startWeb(overrides: Record<string, unknown> = {}) {
  const app = createApp({ redisUrl: redis.url, outDir, queueName, env: {}, ...overrides })
  const server = await listen(createServer(app))
  started.push({ close: server.close, geordi: app.geordi })
  return server
}

function jobsInRedis(): Promise<string[]> {
  return client.keys(`bull:${queueName}:*`).then((keys) => keys.filter((key) => /:[A-Za-z0-9_-]{24}$/.test(key)))
}

/** Every link and image of a page (href and src values). */
function links(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((match) => match[1]!.replace(/&#38;/g, '&'))
}

const SAME_SITE_PATH = /^\/(?![/\\])/

beforeAll(async () => {
  redis = await startRedis()
  client = new Redis(redis.url)
  outDir = tempDir('safety')
  worker = await startWorkerProcess({ REDIS_URL: redis.url, GEORDI_OUT_DIR: outDir, GEORDI_QUEUE: queueName })
})

afterAll(async () => {
  for (const web of started) {
    await web.close()
    await web.geordi.close()
  }
  await worker?.stop()
  client?.disconnect()
  await redis?.stop()
  if (outDir) removeDir(outDir)
})

describe('the redirect that starts a job', () => {
  it('stays on this site for //host, /\\host and absolute-form request targets', async () => {
    const web = await startWeb()
    const origin = new URL(web.url).origin
    const targets = ['//evil.example/?__geordi__', '/\\evil.example/?__geordi__', '/\\/evil.example/?__geordi__', 'http://evil.example/hello?__geordi__', '///evil.example/hello?a=1&__geordi__']
    for (const target of targets) {
      const res = await rawRequest(web.url, 'GET', target, ADMIN)
      expect(res.status, target).toBe(303)
      const location = res.headers.location ?? ''
      expect(location, target).toMatch(SAME_SITE_PATH)
      expect(new URL(location, web.url).origin, target).toBe(origin)
      for (const link of links(res.body)) expect(link, target).toBe(location)
      const status = await waitForJob(new URL(location, web.url).href)
      expect(status.state, target).toBe('done')
      const page = await rawRequest(web.url, 'GET', location, ADMIN)
      expect(page.status).toBe(200)
      for (const link of links(page.body)) expect(link, target).toMatch(SAME_SITE_PATH)
    }
  })
})

describe('starting a job', () => {
  it('refuses a start from another site in an admin browser, and queues nothing', async () => {
    const web = await startWeb()
    const before = readdirSync(outDir).length
    const crossSite: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }, { origin: 'null' }]
    for (const headers of crossSite) {
      const res = await get(`${web.url}/cpu?ms=1&__geordi__`, { ...ADMIN, ...headers })
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(await res.text()).toContain(GeordiErrorCodes.crossSite)
    }
    expect(readdirSync(outDir).length).toBe(before)
    expect(await jobsInRedis()).toEqual([])

    // Typed into the address bar, followed from one of the app's own pages, or from curl.
    const own: Record<string, string>[] = [{ 'sec-fetch-site': 'none' }, { 'sec-fetch-site': 'same-origin', origin: web.url }, {}]
    for (const headers of own) {
      const res = await get(`${web.url}/cpu?ms=1&__geordi__`, { ...ADMIN, ...headers })
      expect(res.status, JSON.stringify(headers)).toBe(303)
      const status = await waitForJob(new URL(res.headers.get('location')!, web.url).href)
      expect(status.state).toBe('done')
    }
  })

  it('replays only GET and HEAD unless replayUnsafeMethods is on', async () => {
    const web = await startWeb()
    const before = readdirSync(outDir).length
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await get(`${web.url}/echo?__geordi__`, ADMIN, { method, body: 'payload' })
      expect(res.status, method).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD')
      expect(await res.text()).toContain(GeordiErrorCodes.methodNotAllowed)
    }
    expect(readdirSync(outDir).length).toBe(before)
    expect(await jobsInRedis()).toEqual([])

    const allowed = await startWeb({ replayUnsafeMethods: true })
    const res = await get(`${allowed.url}/echo?__geordi__`, ADMIN, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } })
    expect(res.status).toBe(303)
    const status = await waitForJob(new URL(res.headers.get('location')!, allowed.url).href)
    expect(status).toMatchObject({ state: 'done', request: { method: 'POST' }, response: { sizeBytes: 'echo:payload'.length } })
  })

  it('caps unfinished jobs per admin and in all with a 429 page, and takes new ones once they settle', async () => {
    const web = await startWeb({ maxPendingJobsPerAdmin: 2, maxPendingJobs: 3 })
    const alice = { cookie: `${ADMIN.cookie}; who=alice` }
    const bob = { cookie: `${ADMIN.cookie}; who=bob` }
    const carol = { cookie: `${ADMIN.cookie}; who=carol` }
    const start = (headers: Record<string, string>) => get(`${web.url}/sleep?ms=1500&__geordi__`, headers)

    const first = await start(alice)
    expect(first.status).toBe(303)
    expect((await start(alice)).status).toBe(303)
    const overAdmin = await start(alice)
    expect(overAdmin.status).toBe(429)
    expect(Number(overAdmin.headers.get('retry-after'))).toBeGreaterThan(0)
    const page = await overAdmin.text()
    expect(page).toContain('<h1 class="failed">Too many profiling jobs</h1>')
    expect(page).toContain(GeordiErrorCodes.tooManyJobs)

    expect((await start(bob)).status).toBe(303)
    const overAll = await start(carol)
    expect(overAll.status).toBe(429)
    expect(await overAll.text()).toContain(GeordiErrorCodes.tooManyJobs)
    expect((await jobsInRedis()).length).toBeLessThanOrEqual(3)

    // The real worker runs the jobs one at a time; once Alice's first settles she may start again.
    expect((await waitForJob(new URL(first.headers.get('location')!, web.url).href)).state).toBe('done')
    expect((await start(alice)).status).toBe(303)
  })
})

describe('requests geordi does not answer', () => {
  it('reach the app without __geordi__ in req.url, req.originalUrl and req.query', async () => {
    const web = await startWeb()
    for (const headers of [{}, { cookie: 'session=someone-else' }] as Record<string, string>[]) {
      const seen = await get(`${web.url}/seen?a=1&__geordi__&b=2`, headers)
      expect(await seen.json()).toEqual({ url: '/seen?a=1&b=2', originalUrl: '/seen?a=1&b=2', query: { a: '1', b: '2' } })
      const result = await get(`${web.url}/seen?__geordi__=AAAAAAAAAAAAAAAAAAAAAAAA.pdf`, headers)
      expect(await result.json()).toEqual({ url: '/seen', originalUrl: '/seen', query: {} })
    }
  })
})

describe('the waiting page', () => {
  it('keeps a </script> from the URL inside the string of its script', async () => {
    const web = await startWeb({ mode: 'inline', redisUrl: undefined })
    const injected = '/sleep?ms=2000&x=</script><script>alert(1)</script>&__geordi__'
    const startRes = await rawRequest(web.url, 'GET', injected, ADMIN)
    expect(startRes.status).toBe(303)
    const location = startRes.headers.location ?? ''
    const id = startRes.headers['x-geordi-job'] ?? ''
    const page = await rawRequest(web.url, 'GET', location, ADMIN)
    expect(page.headers['x-geordi-state']).toMatch(/^(queued|running|rendering)$/)
    // One script, closed once: the URL did not end it.
    expect(page.body.match(/<\/script>/gi)).toHaveLength(1)
    expect(page.body).not.toContain('<script>alert(1)')
    const literal = /fetch\(("(?:[^"\\]|\\.)*")/.exec(page.body)?.[1] ?? 'null'
    expect(JSON.parse(literal)).toBe(location.replace(`__geordi__=${id}`, `__geordi__=${id}.json`))
    expect((await waitForJob(new URL(`/sleep?__geordi__=${id}`, web.url).href)).state).toBe('done')
  })
})
