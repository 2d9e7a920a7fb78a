import { readdirSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { GEORDI_HEADER, GeordiErrorCodes, type JobStatus } from '@intro/geordi'
import { type RedisServer, startRedis } from '@intro/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResultStore } from '../src/result-store.js'
import type { JobUrls } from '../src/pages.js'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import { ADMIN, get, listen, pdfText, removeDir, startWorkerProcess, tempDir, type WorkerProcess, waitForJob } from './helpers.js'

type StatusDocument = JobStatus & { urls: JobUrls }
type Listing = { profiles: { id: string; state: string; admin?: string; request: { method: string; url: string }; filesBytes: number; urls: { page: string; pdf: string } }[] }

const JSON_ACCEPT = { accept: 'application/json' }
// Who the admin is, as the app names them: the recent page shows it.
const adminKey = (req: IncomingMessage) => /(?:^|;\s*)who=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'admin'
const ALICE = { cookie: `${ADMIN.cookie}; who=alice@example.com` }

const MODES = ['queue', 'inline'] as const
let redis: RedisServer
let worker: WorkerProcess
const queueName = `geordi-api-${process.pid}`
const outDirs: Record<(typeof MODES)[number], string> = { queue: '', inline: '' }
const started: { close(): Promise<void>; geordi: { close(): Promise<void> } }[] = []

beforeAll(async () => {
  redis = await startRedis()
  outDirs.queue = tempDir('api-queue')
  outDirs.inline = tempDir('api-inline')
  worker = await startWorkerProcess({ REDIS_URL: redis.url, GEORDI_OUT_DIR: outDirs.queue, GEORDI_QUEUE: queueName })
})

afterAll(async () => {
  for (const web of started) {
    await web.close()
    await web.geordi.close()
  }
  await worker?.stop()
  await redis?.stop()
  for (const dir of Object.values(outDirs)) if (dir) removeDir(dir)
})

function jobDirs(outDir: string): string[] {
  return readdirSync(outDir).filter((name) => /^[A-Za-z0-9_-]{24}$/.test(name))
}

/** Polls a status URL (with `Accept: application/json`) until the job settles; returns every state seen. */
async function followJson(url: string): Promise<{ states: string[]; final: StatusDocument }> {
  const states: string[] = []
  const deadline = Date.now() + 25_000
  for (;;) {
    const res = await get(url, { ...ADMIN, ...JSON_ACCEPT })
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const status = (await res.json()) as StatusDocument
    if (states.at(-1) !== status.state) states.push(status.state)
    if (status.state === 'done' || status.state === 'failed') return { states, final: status }
    if (Date.now() > deadline) throw new Error(`job still ${status.state}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe.each(MODES)('API clients (%s mode)', (mode) => {
  async function startWeb(overrides: Record<string, unknown> = {}) {
    const outDir = outDirs[mode]
    const transport = mode === 'queue' ? { redisUrl: redis.url, queueName } : { mode: 'inline' }
    const app = createApp({ outDir, env: {}, adminKey, ...transport, ...overrides })
    const server = await listen(createServer(app))
    started.push({ close: server.close, geordi: app.geordi })
    return { ...server, outDir }
  }

  it('profiles a POST JSON route started by X-Geordi, answering 202 with the result URL and a JSON status that reaches done', async () => {
    const web = await startWeb({ replayUnsafeMethods: true })
    const res = await get(`${web.url}/api/crunch`, { ...ALICE, ...JSON_ACCEPT, [GEORDI_HEADER]: '1', 'content-type': 'application/json' }, {
      method: 'POST',
      body: JSON.stringify({ rounds: 600 }),
    })
    expect(res.status).toBe(202)
    const id = res.headers.get('x-geordi-job')!
    expect(res.headers.get('location')).toBe(`/api/crunch?__geordi__=${id}`)
    expect(res.headers.get('geordi-result')).toBe(res.headers.get('location'))
    const accepted = (await res.json()) as StatusDocument
    expect(accepted).toMatchObject({ id, state: 'queued', mode, request: { method: 'POST' }, admin: 'alice@example.com' })
    expect(accepted.urls).toEqual({
      page: `/api/crunch?__geordi__=${id}`,
      status: `/api/crunch?__geordi__=${id}.json`,
      pdf: `/api/crunch?__geordi__=${id}.pdf`,
      svg: `/api/crunch?__geordi__=${id}.svg`,
      cpuprofile: `/api/crunch?__geordi__=${id}.cpuprofile`,
      flame: `/api/crunch?__geordi__=${id}.flame.svg`,
      speedscope: `/api/crunch?__geordi__=${id}.speedscope.json`,
      pprof: `/api/crunch?__geordi__=${id}.pb.gz`,
    })

    // The result URL itself answers JSON to a client asking for it.
    const { states, final } = await followJson(new URL(res.headers.get('location')!, web.url).href)
    expect(states.at(-1)).toBe('done')
    expect(['queued', 'running', 'rendering']).toEqual(expect.arrayContaining(states.slice(0, -1)))
    // The replay reached the route with its body (without one it answers 500), and not geordi
    // (which would answer 202 or 405): X-Geordi is not replayed. The test itself never runs the
    // hot function: in inline mode, optimised here first, it would show up inlined into the route.
    expect(final.response?.statusCode).toBe(200)
    expect(final.response?.sizeBytes).toBeGreaterThan('{"rounds":600,"result":}'.length)
    expect(((await (await get(`${web.url}${accepted.urls.status}`, ADMIN)).json()) as JobStatus).state).toBe('done')

    const pdf = await get(`${web.url}${final.urls.pdf}`, ADMIN)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    const bytes = Buffer.from(await pdf.arrayBuffer())
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const pdfPath = join(web.outDir, `${id}-api.pdf`)
    writeFileSync(pdfPath, bytes)
    // The route's code is the hot spot. Which frame gets the samples is V8's call: once the web
    // process (inline mode) has optimised the route, crunchNumbersForGeordi may be inlined into it.
    const text = pdfText(pdfPath)
    expect(text).toContain('/api/crunch')
    expect(text).toContain('express-app.mjs')
    const svg = await (await get(`${web.url}${final.urls.svg}`, ADMIN)).text()
    expect(svg).toContain('<svg')
    // Graphviz writes '-' as &#45;.
    expect(svg.replaceAll('&#45;', '-')).toContain('express-app.mjs')
    const profile = (await (await get(`${web.url}${final.urls.cpuprofile}`, ADMIN)).json()) as { nodes: { callFrame: { url: string } }[] }
    expect(profile.nodes.some((node) => node.callFrame.url.endsWith('/express-app.mjs'))).toBe(true)
    const speedscope = (await (await get(`${web.url}${final.urls.speedscope}`, ADMIN)).json()) as { shared: { frames: { file?: string }[] } }
    expect(speedscope.shared.frames.some((frame) => frame.file?.endsWith('/express-app.mjs'))).toBe(true)
  })

  it('refuses header starts as the query starts are: 405 for POST by default, 403 from another site, as JSON for JSON clients; nothing is queued', async () => {
    const strict = await startWeb()
    const lenient = await startWeb({ replayUnsafeMethods: true })
    const before = jobDirs(strict.outDir).length
    const post = { method: 'POST', body: JSON.stringify({ rounds: 1 }) }
    const api = { ...ADMIN, [GEORDI_HEADER]: '1', 'content-type': 'application/json' }

    const notAllowed = await get(`${strict.url}/api/crunch`, { ...api, ...JSON_ACCEPT }, post)
    expect(notAllowed.status).toBe(405)
    expect(notAllowed.headers.get('allow')).toBe('GET, HEAD')
    expect(await notAllowed.json()).toMatchObject({ error: { code: GeordiErrorCodes.methodNotAllowed } })
    const asPage = await get(`${strict.url}/api/crunch`, api, post)
    expect(asPage.status).toBe(405)
    expect(asPage.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await asPage.text()).toContain(GeordiErrorCodes.methodNotAllowed)

    const crossSite: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }]
    for (const headers of crossSite) {
      for (const [url, init] of [[`${lenient.url}/api/crunch`, post], [`${strict.url}/cpu?ms=1`, {}]] as const) {
        const res = await get(url, { ...api, ...JSON_ACCEPT, ...headers }, init)
        expect(res.status, `${url} ${JSON.stringify(headers)}`).toBe(403)
        expect(await res.json()).toMatchObject({ error: { code: GeordiErrorCodes.crossSite } })
      }
    }
    expect(jobDirs(strict.outDir).length).toBe(before)

    // From the app's own pages (fetch sends Sec-Fetch-Site: same-origin and its Origin) it starts.
    const own = await get(`${lenient.url}/api/crunch`, { ...api, ...JSON_ACCEPT, 'sec-fetch-site': 'same-origin', origin: lenient.url }, post)
    expect(own.status).toBe(202)
    expect((await waitForJob(new URL(own.headers.get('location')!, lenient.url).href)).state).toBe('done')
  })

  it('leaves X-Geordi from users who are not authorized to the app, and hides it from the app', async () => {
    const web = await startWeb({ replayUnsafeMethods: true })
    const before = jobDirs(web.outDir).length
    const seen = await get(`${web.url}/geordi-header-seen`, { [GEORDI_HEADER]: '1', cookie: 'session=someone-else' })
    expect(seen.status).toBe(200)
    expect(await seen.json()).toEqual({ header: null })
    const call = await get(`${web.url}/echo`, { [GEORDI_HEADER]: '1', 'content-type': 'text/plain' }, { method: 'POST', body: 'payload' })
    expect(call.status).toBe(200)
    expect(await call.text()).toBe('echo:payload')
    // A value that does not ask for a profile does nothing, for admins too.
    const off = await get(`${web.url}/geordi-header-seen`, { ...ADMIN, [GEORDI_HEADER]: '0' })
    expect(await off.json()).toEqual({ header: null })
    expect(jobDirs(web.outDir).length).toBe(before)
  })

  it('sends Refresh on the waiting page until the job settles, and 202 with JSON to a query start asking for JSON', async () => {
    const web = await startWeb()
    const browser = await get(`${web.url}/sleep?ms=1500&__geordi__`, { ...ADMIN, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
    expect(browser.status).toBe(303)
    const pageUrl = new URL(browser.headers.get('location')!, web.url).href
    const waiting = await get(pageUrl, ADMIN)
    expect(waiting.headers.get('x-geordi-state')).toMatch(/^(queued|running)$/)
    expect(waiting.headers.get('refresh')).toBe('2')
    expect(await waiting.text()).toContain('id="state"')
    expect((await waitForJob(pageUrl)).state).toBe('done')
    const result = await get(pageUrl, ADMIN)
    expect(result.headers.get('x-geordi-state')).toBe('done')
    expect(result.headers.get('refresh')).toBeNull()

    const json = await get(`${web.url}/cpu?ms=1&__geordi__`, { ...ADMIN, accept: 'application/json, text/plain, */*' })
    expect(json.status).toBe(202)
    const document = (await json.json()) as StatusDocument
    expect(document.state).toBe('queued')
    expect(json.headers.get('geordi-result')).toBe(document.urls.page)
    expect((await followJson(`${web.url}${document.urls.status}`)).final.state).toBe('done')
  })

  it('lists finished profiles on ?__geordi__=recent for admins only: who, redacted URL, size, links', async () => {
    const web = await startWeb()
    const res = await get(`${web.url}/cpu?ms=20&token=s3cr3t-value&__geordi__`, ALICE)
    expect(res.status).toBe(303)
    const id = res.headers.get('x-geordi-job')!
    expect((await waitForJob(new URL(res.headers.get('location')!, web.url).href)).state).toBe('done')

    const page = await get(`${web.url}/hello?api_key=k3y-value&__geordi__=recent`, ADMIN)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain('<h1>Recent profiles</h1>')
    expect(html).toContain('alice@example.com')
    expect(html).toContain(`href="/hello?__geordi__=${id}.pdf"`)
    expect(html).toContain('/cpu?ms=20&#38;token=[redacted]')
    expect(html).not.toContain('s3cr3t-value')
    expect(html).not.toContain('k3y-value')
    expect(html).not.toContain('admin-cookie-value')

    const listing = (await (await get(`${web.url}/hello?__geordi__=recent`, { ...ADMIN, ...JSON_ACCEPT })).json()) as Listing
    const entry = listing.profiles.find((profile) => profile.id === id)
    expect(entry).toMatchObject({ state: 'done', admin: 'alice@example.com', request: { method: 'GET' } })
    expect(entry!.request.url).toContain('token=[redacted]')
    expect(entry!.filesBytes).toBeGreaterThan(1000)
    const pdf = await get(`${web.url}${entry!.urls.pdf}`, ADMIN)
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('%PDF')

    // For everyone else geordi does nothing: the app answers, as if the parameter were absent.
    const other = { cookie: 'session=someone-else' }
    const hello = await get(`${web.url}/hello?__geordi__=recent`, other)
    expect(await hello.text()).toBe('hello')
    const missing = await get(`${web.url}/nowhere?__geordi__=recent`, { ...other, ...JSON_ACCEPT })
    expect(missing.status).toBe(404)
    expect(await missing.text()).not.toContain(id)
  })
})

describe('the recent-profiles page', () => {
  it('lists the 50 newest results, newest first', async () => {
    const outDir = tempDir('api-recent')
    const store = new ResultStore(outDir)
    const now = Date.now()
    for (let i = 0; i < 55; i++) {
      const id = `job${String(i).padStart(2, '0')}${'x'.repeat(19)}`
      await store.create({
        version: 1,
        id,
        state: 'failed',
        createdAt: now - 60_000 + i * 1000,
        updatedAt: now,
        expiresAt: now + 3_600_000,
        mode: 'inline',
        limits: { timeLimitMs: 1000, queueTimeoutMs: 1000, renderTimeoutMs: 1000 },
        request: { method: 'GET', url: `http://127.0.0.1/n${i}` },
        error: { code: GeordiErrorCodes.replayFailed, message: 'made for the listing' },
      })
    }
    const app = createApp({ outDir, env: {} })
    const server = await listen(createServer(app))
    try {
      const listing = (await (await get(`${server.url}/?__geordi__=recent`, { ...ADMIN, ...JSON_ACCEPT })).json()) as Listing
      expect(listing.profiles).toHaveLength(50)
      expect(listing.profiles[0]!.request.url).toBe('http://127.0.0.1/n54')
      expect(listing.profiles.at(-1)!.request.url).toBe('http://127.0.0.1/n5')
    } finally {
      await server.close()
      await app.geordi.close()
      removeDir(outDir)
    }
  })
})
