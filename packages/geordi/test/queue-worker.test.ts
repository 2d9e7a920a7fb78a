import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { GeordiErrorCodes, type JobStatus } from '@intro/geordi'
import { type RedisServer, startRedis } from '@intro/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import { ADMIN, download, get, listen, pdfText, removeDir, startProfile, startWorkerProcess, tempDir, waitForJob, type WorkerProcess } from './helpers.js'

let redis: RedisServer
let client: Redis
let worker: WorkerProcess
let web: { url: string; close(): Promise<void> }
let outDir: string
const queueName = `geordi-test-${process.pid}`
const webs: { close(): Promise<void>; geordi: { close(): Promise<void> } }[] = []

async function startWeb(overrides: Record<string, unknown> = {}) {
  const app = createApp({ redisUrl: redis.url, outDir, queueName, ...overrides })
  const started = await listen(createServer(app))
  webs.push({ close: started.close, geordi: app.geordi })
  return started
}

beforeAll(async () => {
  redis = await startRedis()
  client = new Redis(redis.url)
  outDir = tempDir('queue')
  worker = await startWorkerProcess({ REDIS_URL: redis.url, GEORDI_OUT_DIR: outDir, GEORDI_QUEUE: queueName })
  web = await startWeb()
})

afterAll(async () => {
  for (const started of webs) {
    await started.close()
    await started.geordi.close()
  }
  await worker?.stop()
  client?.disconnect()
  await redis?.stop()
  if (outDir) removeDir(outDir)
})

describe('createGeordi with a Redis URL (BullMQ) and startGeordiWorker', () => {
  let finished: { id: string; pageUrl: string; status: JobStatus }

  it('profiles an admin request on the worker and answers with a PDF call graph naming the hot function', async () => {
    const { id, pageUrl } = await startProfile(web.url, '/cpu?ms=200')
    expect(pageUrl).toBe(`${web.url}/cpu?ms=200&__geordi__=${id}`)
    const status = await waitForJob(pageUrl)
    expect(status.state).toBe('done')
    expect(status.mode).toBe('queue')
    expect(status.workerHost).toBe(worker.host)
    expect(status.response?.statusCode).toBe(200)
    expect(status.timings?.cpuMs).toBeGreaterThan(0)
    finished = { id, pageUrl, status }

    const page = await get(pageUrl, ADMIN)
    expect(page.status).toBe(200)
    expect(page.headers.get('x-geordi-state')).toBe('done')
    expect(page.headers.get('x-geordi-worker-host')).toBe(worker.host)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await page.text()
    expect(html).toContain('<img class="graph"')
    expect(html).toContain('crunchNumbersForGeordi')

    const pdfPath = join(outDir, 'downloaded.pdf')
    const pdf = await download(new URL(page.headers.get('x-geordi-pdf')!, web.url).href, pdfPath)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    const text = pdfText(pdfPath)
    expect(text).toContain('/cpu?ms=200')
    expect(text).not.toContain('admin-cookie-value')
    // The call graph beside the table may put lines of its own between the rows.
    const topSelf = text.slice(text.indexOf('Top functions by self time')).split('\n').slice(0, 10).join('\n')
    expect(topSelf).toContain('crunchNumbersForGeordi')

    execFileSync('pdftoppm', ['-png', '-r', '60', pdfPath, join(outDir, 'page')])
    if (process.env.GEORDI_KEEP_PNG) for (const name of readdirSync(outDir).filter((n) => n.startsWith('page'))) execFileSync('cp', [join(outDir, name), join(process.env.GEORDI_KEEP_PNG, name)])
    const pages = readdirSync(outDir).filter((name) => name.startsWith('page') && name.endsWith('.png'))
    expect(pages).toHaveLength(1)
    for (const name of pages) expect(statSync(join(outDir, name)).size).toBeGreaterThan(2_000)

    const svg = await get(new URL(page.headers.get('x-geordi-svg')!, web.url).href, ADMIN)
    expect(svg.headers.get('content-type')).toBe('image/svg+xml')
    expect(await svg.text()).toContain('crunchNumbersForGeordi')
    const profile = await get(new URL(page.headers.get('x-geordi-profile')!, web.url).href, ADMIN)
    type Node = { id: number; callFrame: { functionName: string }; children?: number[] }
    const { nodes, samples } = (await profile.json()) as { nodes: Node[]; samples: number[] }
    expect(nodes.map((node) => node.callFrame.functionName)).toContain('crunchNumbersForGeordi')
    // Samples of the profiler's own start-up are trimmed off.
    const byId = new Map(nodes.map((node) => [node.id, node]))
    const startUp = new Set<number>()
    const collect = (id: number) => {
      startUp.add(id)
      for (const child of byId.get(id)?.children ?? []) collect(child)
    }
    for (const node of nodes) if (node.callFrame.functionName === 'startCpuProfile') collect(node.id)
    expect(samples.filter((id) => startUp.has(id))).toEqual([])
  })

  it('keeps credentials only in the job, and removes the job from Redis when it settles', async () => {
    expect(await client.exists(`bull:${queueName}:${finished.id}`)).toBe(0)
    const onDisk = readFileSync(join(outDir, finished.id, 'status.json'), 'utf8')
    expect(onDisk).not.toContain('admin-cookie-value')
    expect(JSON.stringify(await client.keys('*'))).not.toContain(finished.id)
  })

  it('keeps results private: the directories 0700, every file the web side and the worker wrote 0600', async () => {
    expect(statSync(outDir).mode & 0o777).toBe(0o700)
    const jobDir = join(outDir, finished.id)
    expect(statSync(jobDir).mode & 0o777).toBe(0o700)
    const files = readdirSync(jobDir).sort()
    expect(files).toEqual(['profile.cpuprofile', 'profile.flame.svg', 'profile.pb.gz', 'profile.pdf', 'profile.speedscope.json', 'profile.svg', 'status.json'])
    for (const name of files) expect(statSync(join(jobDir, name)).mode & 0o777, name).toBe(0o600)
  })

  it('replays the request as the same user, body included', async () => {
    const whoami = await waitForJob((await startProfile(web.url, '/whoami')).pageUrl)
    expect(whoami.response?.sizeBytes).toBe('admin'.length)
    const unsafe = await startWeb({ replayUnsafeMethods: true })
    const echo = await startProfile(unsafe.url, '/echo?x=1', { method: 'POST', body: 'payload-123', headers: { 'content-type': 'text/plain' } })
    const status = await waitForJob(echo.pageUrl)
    expect(status.request).toMatchObject({ method: 'POST', url: `${unsafe.url}/echo?x=1` })
    expect(status.response?.sizeBytes).toBe('echo:payload-123'.length)
  })

  it('serves other users exactly as if the parameter were absent', async () => {
    const before = readdirSync(outDir).length
    for (const headers of [{}, { cookie: 'session=someone-else' }] as Record<string, string>[]) {
      const res = await get(`${web.url}/hello?__geordi__`, headers)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('hello')
      const result = await get(`${finished.pageUrl}`.replace('/cpu?ms=200', '/hello?a=1'), headers)
      expect(await result.text()).toBe('hello')
    }
    expect(readdirSync(outDir).length).toBe(before)
  })

  it('answers 404 to tampered, unknown and malformed result ids', async () => {
    const { id } = finished
    const flipped = id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A')
    const values = [flipped, 'A'.repeat(24), `${id}.exe`, `${id}x`, id.slice(1), '../etc', `${id}/..`, `${flipped}.pdf`]
    for (const value of values) {
      const res = await get(`${web.url}/hello?__geordi__=${encodeURIComponent(value)}`, ADMIN)
      expect(res.status, value).toBe(404)
      expect(await res.text()).toContain('ERR_GEORDI_NOT_FOUND')
    }
  })

  it('shows the reason when the route crashes the app, and the worker carries on', async () => {
    const crashed = await waitForJob((await startProfile(web.url, '/crash')).pageUrl)
    expect(crashed.state).toBe('failed')
    expect(crashed.error?.code).toBe(GeordiErrorCodes.appCrashed)
    expect(crashed.error?.message).toContain('fixture crash in a timer')
    const page = await get(`${web.url}/?__geordi__=${crashed.id}`, ADMIN)
    expect(page.headers.get('x-geordi-error')).toBe(GeordiErrorCodes.appCrashed)
    expect(await page.text()).toContain('fixture crash in a timer')
    const next = await waitForJob((await startProfile(web.url, '/hello')).pageUrl)
    expect(next.state).toBe('done')
  })

  it('fails a job that outruns its time limit', async () => {
    const limited = await startWeb({ timeLimitMs: 500 })
    const status = await waitForJob((await startProfile(limited.url, '/hang')).pageUrl)
    expect(status.state).toBe('failed')
    expect(status.error?.code).toBe(GeordiErrorCodes.timeLimit)
  })

  it('forgets results after resultTtlMs', async () => {
    const shortLived = await startWeb({ resultTtlMs: 1500 })
    const { id, pageUrl } = await startProfile(shortLived.url, '/hello')
    expect((await waitForJob(pageUrl)).state).toBe('done')
    await new Promise((resolve) => setTimeout(resolve, 1600))
    expect((await get(pageUrl, ADMIN)).status).toBe(404)
    expect((await get(`${pageUrl}.pdf`, ADMIN)).status).toBe(404)
    expect(existsSync(join(outDir, id))).toBe(false)
  })

  it('fails a job that no worker takes within queueTimeoutMs', async () => {
    const otherQueue = await startWeb({ queueName: `${queueName}-nobody`, queueTimeoutMs: 500 })
    const { id, pageUrl } = await startProfile(otherQueue.url, '/hello')
    expect(await client.exists(`bull:${queueName}-nobody:${id}`)).toBe(1)
    // Nobody watches the page: the job, credentials included, is still removed on time.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await client.exists(`bull:${queueName}-nobody:${id}`)).toBe(0)
    const status = JSON.parse(readFileSync(join(outDir, id, 'status.json'), 'utf8')) as JobStatus
    expect(status.error?.code).toBe(GeordiErrorCodes.queueTimeout)
    expect((await waitForJob(pageUrl)).state).toBe('failed')
  })

  it('records the failure when the worker process dies during the job', async () => {
    const status = await waitForJob((await startProfile(web.url, '/exit')).pageUrl)
    expect(status.state).toBe('failed')
    expect(status.error?.code).toBe(GeordiErrorCodes.workerLost)
    await worker.stop()
    expect(worker.child.exitCode).toBe(3)
  })
})

