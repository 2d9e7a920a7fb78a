import { mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { type RedisServer, requireBinary, startRedis } from '@intro/test-utils'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp, crunchNumbersForGeordi } from './fixtures/express-app.mjs'
import { listen, pdfText, removeDir, startWorkerProcess, tempDir, type WorkerProcess } from './helpers.js'

// The browser is Debian's chromium (apt `chromium`), never one playwright would download:
// requireBinary throws, so the test fails rather than skips, when it is missing.
const CHROMIUM = requireBinary('chromium')
// GEORDI_SCREENSHOT_DIR keeps the screenshots for a look; otherwise they go with the temp dir.
const keptScreenshots = process.env.GEORDI_SCREENSHOT_DIR

let redis: RedisServer
let worker: WorkerProcess
let browser: Browser
let web: { url: string; close(): Promise<void> }
let geordi: { close(): Promise<void> }
let outDir: string
let workDir: string
const queueName = `geordi-browser-${process.pid}`

beforeAll(async () => {
  redis = await startRedis()
  outDir = tempDir('browser-results')
  workDir = tempDir('browser')
  // On a real worker the web process stays free, so the waiting page is served while the job runs.
  worker = await startWorkerProcess({ REDIS_URL: redis.url, GEORDI_OUT_DIR: outDir, GEORDI_QUEUE: queueName })
  const app = createApp({ redisUrl: redis.url, outDir, queueName, env: {} })
  geordi = app.geordi
  web = await listen(createServer(app))
  // Chromium's sandbox refuses to run as root (CI runs as root).
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] })
})

afterAll(async () => {
  await browser?.close()
  await web?.close()
  await geordi?.close()
  await worker?.stop()
  await redis?.stop()
  for (const dir of [outDir, workDir]) if (dir) removeDir(dir)
})

describe('an admin in a real browser', () => {
  it('opens ?__geordi__, sees the waiting page, is taken to the result page with the flame graph (zooms on click) and the call graph, and downloads the PDF', async () => {
    const screenshots = keptScreenshots ?? join(workDir, 'screenshots')
    mkdirSync(screenshots, { recursive: true })
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })
    await context.addCookies([{ name: 'session', value: 'admin-cookie-value', url: web.url }])
    const page = await context.newPage()
    // Script errors, CSP refusals and failed loads of geordi's pages (the app has no favicon).
    const problems: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('404')) problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('response', (res) => {
      if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) problems.push(`${res.status()} ${res.url()}`)
    })

    const response = await page.goto(`${web.url}/cpu?ms=1200&__geordi__`)
    expect(response?.status()).toBe(200)
    expect(page.url()).toMatch(/\/cpu\?ms=1200&__geordi__=[A-Za-z0-9_-]{24}$/)
    const pageUrl = page.url()
    expect(await page.title()).toBe('geordi: profiling…')
    expect(await page.locator('#state').textContent()).toMatch(/^(queued|running|rendering)/)
    await page.screenshot({ path: join(screenshots, 'waiting.png'), fullPage: true })

    // Nobody clicks: the page follows the job and reloads itself once it is done.
    const graph = page.locator('img.graph')
    await graph.waitFor({ state: 'visible', timeout: 30_000 })
    expect(page.url()).toBe(pageUrl)
    expect(await page.title()).toBe('geordi: profile ready')
    // Strings run in the page (the test compiles without the DOM's types).
    await page.waitForFunction("document.querySelector('img.graph').complete && document.querySelector('img.graph').naturalWidth > 0")
    const size = (await page.evaluate(
      "(() => { const img = document.querySelector('img.graph'); return { width: img.naturalWidth, height: img.naturalHeight, shown: img.getBoundingClientRect().width } })()",
    )) as { width: number; height: number; shown: number }
    expect(size.width).toBeGreaterThan(100)
    expect(size.height).toBeGreaterThan(100)
    expect(size.shown).toBeGreaterThan(100)
    const svgUrl = new URL((await graph.getAttribute('src'))!, pageUrl).href
    const svg = await (await context.request.get(svgUrl)).text()
    expect(svg).toContain('<svg')
    expect(svg).toContain(crunchNumbersForGeordi.name)
    await page.screenshot({ path: join(screenshots, 'result.png'), fullPage: true })

    // The flame graph of the same profile is in the page; clicking the hot function's frame zooms
    // it to the full width, and Escape zooms back out.
    const flame = (await page.evaluate(`(() => {
      const svg = document.querySelector('.flame svg')
      const frames = svg ? [...svg.querySelectorAll('g[data-x]')] : []
      const hot = frames.find((g) => g.getAttribute('data-n').includes(${JSON.stringify(crunchNumbersForGeordi.name)}))
      return { frames: frames.length, width: svg ? +svg.getAttribute('data-width') : 0, hot: hot ? +hot.querySelector('rect').getAttribute('width') : 0, index: frames.indexOf(hot) }
    })()`)) as { frames: number; width: number; hot: number; index: number }
    expect(flame.frames).toBeGreaterThan(5)
    expect(flame.index).toBeGreaterThanOrEqual(0)
    expect(flame.hot).toBeLessThan(flame.width)
    const hotFrame = page.locator('.flame svg g[data-x]').nth(flame.index)
    await hotFrame.locator('rect').click({ force: true })
    const zoomedWidth = async () => Number(await hotFrame.locator('rect').getAttribute('width'))
    expect(await zoomedWidth()).toBeCloseTo(flame.width, 0)
    await page.screenshot({ path: join(screenshots, 'flame-zoomed.png'), fullPage: true })
    await page.locator('.flame svg').press('Escape')
    expect(await zoomedWidth()).toBeCloseTo(flame.hot, 0)

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()])
    const pdfPath = join(workDir, 'downloaded.pdf')
    await download.saveAs(pdfPath)
    expect(download.suggestedFilename()).toMatch(/^geordi-[A-Za-z0-9_-]{24}\.pdf$/)
    expect(readFileSync(pdfPath).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(pdfText(pdfPath)).toContain(crunchNumbersForGeordi.name)
    // The admin's list of recent profiles names this one and links to its page.
    const id = /__geordi__=([A-Za-z0-9_-]{24})$/.exec(pageUrl)![1]!
    await page.goto(`${web.url}/?__geordi__=recent`)
    expect(await page.title()).toBe('geordi: recent profiles')
    await expect(page.locator(`a[href="/?__geordi__=${id}"]`).count()).resolves.toBe(1)
    await page.screenshot({ path: join(screenshots, 'recent.png'), fullPage: true })
    expect(problems).toEqual([])

    // Opened on its own, the call graph keeps every label inside its box, whatever sans-serif
    // this browser draws instead of Helvetica (Debian's chromium has DejaVu Sans, which is wider).
    await page.goto(svgUrl)
    const overflows = (await page.evaluate(`(() => {
      const out = []
      for (const node of document.querySelectorAll('g.node')) {
        const shape = node.querySelector('path, polygon')
        if (!shape) continue
        const box = shape.getBBox()
        for (const text of node.querySelectorAll('text')) {
          const t = text.getBBox()
          if (t.x < box.x - 0.5 || t.x + t.width > box.x + box.width + 0.5) out.push(text.textContent)
        }
      }
      return { nodes: document.querySelectorAll('g.node').length, out }
    })()`)) as { nodes: number; out: string[] }
    expect(overflows.nodes).toBeGreaterThan(5)
    expect(overflows.out).toEqual([])
    await context.close()
  })
})
