import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { JobStatus } from '@intro/geordi'
import type { CpuProfile } from '@intro/geordi/render'
import { type RedisServer, startRedis } from '@intro/test-utils'
import { Profile } from 'pprof-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import { ADMIN, get, listen, removeDir, startProfile, startWorkerProcess, tempDir, waitForJob, type WorkerProcess } from './helpers.js'

const HOT = 'shortRouteHotLoop'
// What the default 1 ms interval gives a 30 ms request at most (V8 samples every 1000 µs).
const DEFAULT_INTERVAL_SAMPLES = 30

interface Finished {
  base: string
  id: string
  pageUrl: string
  status: JobStatus
  dir: string
}

function fileUrl(finished: Finished, suffix: string): string {
  return finished.pageUrl.replace(/__geordi__=([^&]+)/, `__geordi__=$1.${suffix}`)
}

async function profileShortRoute(base: string, outDir: string): Promise<Finished> {
  // A secret in the query: it must come out redacted in every file written.
  const { id, pageUrl } = await startProfile(base, '/short?ms=30&token=hunter2-secret')
  const status = await waitForJob(pageUrl, 40_000)
  expect(status.state, JSON.stringify(status.error)).toBe('done')
  return { base, id, pageUrl, status, dir: join(outDir, id) }
}

function checkFlameGraphPage(html: string, csp: string | null): void {
  const flame = /<div class="flame">[\s\S]*?<\/svg>/.exec(html)?.[0]
  expect(flame, 'the result page shows a flame graph').toBeDefined()
  expect(flame).toContain(`data-n="${HOT}"`)
  expect(flame).toMatch(new RegExp(`<title>${HOT} [^<]*fixtures/express-app.mjs:\\d+ — `))
  // The page's CSP allows only its own nonce'd script and style: no external script, no inline handler.
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp ?? '')?.[1]
  expect(nonce).toBeDefined()
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((match) => match[1])
  expect(scripts.length).toBeGreaterThan(0)
  for (const attributes of scripts) {
    expect(attributes).toContain(`nonce="${nonce}"`)
    expect(attributes).not.toContain('src=')
  }
  expect(html).not.toMatch(/\son(click|load|mouseover)=/)
}

async function checkSpeedscope(finished: Finished): Promise<void> {
  const res = await get(fileUrl(finished, 'speedscope.json'), ADMIN)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('application/json')
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="geordi-${finished.id}.speedscope.json"`)
  const file = (await res.json()) as {
    $schema: string
    shared: { frames: { name: string; file?: string }[] }
    profiles: { type: string; unit: string; samples: number[][]; weights: number[]; endValue: number }[]
  }
  expect(file.$schema).toBe('https://www.speedscope.app/file-format-schema.json')
  const hot = file.shared.frames.findIndex((frame) => frame.name === HOT)
  expect(hot).toBeGreaterThanOrEqual(0)
  expect(file.shared.frames[hot]!.file).toMatch(/fixtures\/express-app\.mjs$/)
  const [profile] = file.profiles
  expect(profile!.type).toBe('sampled')
  expect(profile!.unit).toBe('microseconds')
  expect(profile!.samples.length).toBe(profile!.weights.length)
  expect(profile!.samples.some((stack) => stack.includes(hot))).toBe(true)
  // The weights are the time each sample stood for: together, the profile's duration.
  const cpuprofile = JSON.parse(readFileSync(join(finished.dir, 'profile.cpuprofile'), 'utf8')) as { startTime: number; endTime: number }
  const sum = profile!.weights.reduce((total, weight) => total + weight, 0)
  const duration = cpuprofile.endTime - cpuprofile.startTime
  expect(sum).toBeGreaterThan(duration * 0.8)
  expect(sum).toBeLessThanOrEqual(duration * 1.01)
  expect(profile!.endValue).toBeCloseTo(sum, 3)
}

async function checkPprof(finished: Finished): Promise<void> {
  const res = await get(fileUrl(finished, 'pb.gz'), ADMIN)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('application/octet-stream')
  expect(res.headers.get('content-encoding')).toBeNull()
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="geordi-${finished.id}.pb.gz"`)
  const profile = Profile.decode(gunzipSync(Buffer.from(await res.arrayBuffer())))
  const strings = profile.stringTable.strings
  expect(strings[Number(profile.sampleType[0]!.type)]).toBe('samples')
  expect(strings[Number(profile.sampleType[1]!.type)]).toBe('cpu')
  const functionName = new Map(profile.function.map((fn) => [Number(fn.id), strings[Number(fn.name)]]))
  const locationFunction = new Map(profile.location.map((location) => [Number(location.id), Number(location.line[0]!.functionId)]))
  // Stacks are listed leaf first; the hot loop's own samples may sit under `performance.now`.
  const hotSamples = profile.sample.filter((sample) => sample.locationId.some((id) => functionName.get(locationFunction.get(Number(id))!) === HOT))
  expect(hotSamples.length).toBeGreaterThan(0)
  const total = profile.sample.reduce((sum, sample) => sum + Number(sample.value[0]), 0)
  expect(total).toBe(finished.status.sampling?.samples)
  expect(Number(profile.period)).toBe(50_000)
}

function checkSampling(status: JobStatus): void {
  // A 30 ms request ends within the fine window (minSamples × 1 ms = 0.5 s): its profile is the
  // one sampled every 50 µs, well above the ~30 samples the 1 ms interval gives it.
  expect(status.sampling).toMatchObject({ fine: true, intervalUs: 50 })
  expect(status.sampling!.samples).toBeGreaterThan(DEFAULT_INTERVAL_SAMPLES * 3)
}

function checkFiles(finished: Finished): void {
  for (const name of ['profile.pdf', 'profile.svg', 'profile.cpuprofile', 'profile.flame.svg', 'profile.speedscope.json', 'profile.pb.gz']) {
    const path = join(finished.dir, name)
    expect(statSync(path).mode & 0o777, name).toBe(0o600)
    const text = name.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('latin1') : readFileSync(path, 'latin1')
    expect(text, name).not.toContain('hunter2-secret')
  }
  const pages = /Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [join(finished.dir, 'profile.pdf')], { encoding: 'utf8' }))?.[1]
  expect(pages, execFileSync('pdfinfo', ['-l', '5', join(finished.dir, 'profile.pdf')], { encoding: 'utf8' })).toBe('1')
}

async function checkAll(finished: Finished): Promise<void> {
  const page = await get(finished.pageUrl, ADMIN)
  checkFlameGraphPage(await page.text(), page.headers.get('content-security-policy'))
  await checkSpeedscope(finished)
  await checkPprof(finished)
  checkSampling(finished.status)
  checkFiles(finished)
}

describe('profile formats, inline mode', () => {
  let outDir: string
  let web: { url: string; close(): Promise<void> }
  let app: { geordi: { close(): Promise<void> } }

  beforeAll(async () => {
    outDir = tempDir('formats-inline')
    app = createApp({ outDir, env: {} })
    web = await listen(createServer(app as never))
  })

  afterAll(async () => {
    await web?.close()
    await app?.geordi.close()
    if (outDir) removeDir(outDir)
  })

  it('shows a flame graph, serves speedscope and pprof files naming the hot function, samples a 30 ms route finely and writes a one-page PDF', async () => {
    await checkAll(await profileShortRoute(web.url, outDir))
  })

  it('reports the configured profile for a request longer than the fine window, and only that one for minSamples 0', async () => {
    for (const minSamples of [10, 0]) {
      const dir = tempDir('formats-coarse')
      const coarse = createApp({ outDir: dir, env: {}, minSamples })
      const started = await listen(createServer(coarse))
      try {
        // Waits 100 ms without the CPU: the 10 ms fine window ends (its timer runs) before it does.
        const { pageUrl } = await startProfile(started.url, '/sleep?ms=100')
        const status = await waitForJob(pageUrl, 40_000)
        expect(status.state).toBe('done')
        expect(status.sampling, `minSamples ${minSamples}`).toMatchObject({ fine: false, intervalUs: 1000 })
        // Without the fine sampler, only the 1 ms one: about one sample per ms of the request.
        if (minSamples === 0) expect(status.sampling!.samples).toBeLessThanOrEqual(2 * (status.timings!.wallMs ?? 0) + 20)
      } finally {
        await started.close()
        await coarse.geordi.close()
        removeDir(dir)
      }
    }
  })
})

/** Per function named in `names`: samples and µs whose stack holds it (each sample weighs the time to the next). */
function inclusive(profile: CpuProfile, names: string[]): Map<string, { samples: number; us: number }> {
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const result = new Map(names.map((name) => [name, { samples: 0, us: 0 }]))
  const samples = profile.samples ?? []
  samples.forEach((id, i) => {
    const us = profile.timeDeltas?.[i + 1] ?? 0
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(byId.get(at)!.callFrame.functionName)
    for (const name of names) {
      if (!seen.has(name)) continue
      result.get(name)!.samples++
      result.get(name)!.us += us
    }
  })
  return result
}

describe('profile formats, a request outlasting the fine window', () => {
  it('joins the fine profile of its start to the configured one of the rest: both stretches of work are in the report', async () => {
    const dir = tempDir('formats-stitched')
    const app = createApp({ outDir: dir, env: {}, minSamples: 20 })
    const web = await listen(createServer(app))
    try {
      // 40 ms of CPU, a 60 ms wait (the 20 ms fine window ends and the 1 ms profiler takes
      // over), 40 ms of CPU in another function.
      const { id, pageUrl } = await startProfile(web.url, '/two-phase?ms=40&gap=60')
      const status = await waitForJob(pageUrl, 40_000)
      expect(status.state, JSON.stringify(status.error)).toBe('done')
      expect(status.sampling).toMatchObject({ fine: false, intervalUs: 1000 })
      const profile = JSON.parse(readFileSync(join(dir, id, 'profile.cpuprofile'), 'utf8')) as CpuProfile
      expect(profile.samples?.length).toBe(status.sampling?.samples)
      const phases = inclusive(profile, ['earlyPhaseForGeordi', 'latePhaseForGeordi'])
      const early = phases.get('earlyPhaseForGeordi')!
      const late = phases.get('latePhaseForGeordi')!
      // Each stretch keeps most of its 40 ms of CPU, however finely it was sampled.
      expect(early.us).toBeGreaterThan(20_000)
      expect(late.us).toBeGreaterThan(20_000)
      // The first stretch was sampled every 50 µs, the second every 1 ms: many times the samples
      // for the same CPU time (~20× idle; ~4× on a loaded 2-core machine, where the fine sampler
      // misses most of its ticks). The configured profile alone would give both about as many.
      expect(early.samples).toBeGreaterThan(2 * late.samples)
      expect(late.samples).toBeGreaterThan(5)
      // The profile spans the request: the fine stretch, the hand-over and the configured one.
      const spanMs = (profile.timeDeltas ?? []).reduce((sum, delta) => sum + delta, 0) / 1000
      expect(spanMs).toBeGreaterThan(130)
      expect(spanMs).toBeLessThan((status.timings?.wallMs ?? 0) + 50)
    } finally {
      await web.close()
      await app.geordi.close()
      removeDir(dir)
    }
  })
})

describe('profile formats, BullMQ and a worker process', () => {
  let redis: RedisServer
  let worker: WorkerProcess
  let outDir: string
  let web: { url: string; close(): Promise<void> }
  let app: { geordi: { close(): Promise<void> } }
  const queueName = `geordi-formats-${process.pid}`

  beforeAll(async () => {
    redis = await startRedis()
    outDir = tempDir('formats-queue')
    worker = await startWorkerProcess({ REDIS_URL: redis.url, GEORDI_OUT_DIR: outDir, GEORDI_QUEUE: queueName })
    app = createApp({ redisUrl: redis.url, outDir, queueName, env: {} })
    web = await listen(createServer(app as never))
  })

  afterAll(async () => {
    await web?.close()
    await app?.geordi.close()
    await worker?.stop()
    await redis?.stop()
    if (outDir) removeDir(outDir)
  })

  it('gives the same flame graph, speedscope, pprof, fine sampling and one-page PDF from the worker', async () => {
    const finished = await profileShortRoute(web.url, outDir)
    expect(finished.status.mode).toBe('queue')
    expect(finished.status.workerHost).toBe(worker.host)
    await checkAll(finished)
  })
})
