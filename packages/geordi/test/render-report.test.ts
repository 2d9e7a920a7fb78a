import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  type CpuProfile,
  InvalidProfileError,
  type ReportMeta,
  buildCallGraph,
  readCpuProfile,
  renderPdf,
  renderProfileReport,
  renderSvg,
  callGraphToDot,
} from '@intro/geordi/render'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HOT_LOOP,
  MANY_FUNCTIONS,
  pdfFonts,
  pdfPages,
  pdfText,
  pdfToPngs,
  pngSize,
  readJson,
  recordProfile,
  removeDir,
  scratchDir,
} from './fixtures/render/profiles.js'

const run = promisify(execFile)

const SECRETS = ['s3cr3t-query-token', 'session-cookie-value', 'Bearer abc.def.ghi', 'set-cookie-secret', 'k3y-123']

const meta: ReportMeta = {
  title: 'geordi report',
  request: {
    method: 'POST',
    url: 'https://shop.test/cart/checkout?page=2&token=s3cr3t-query-token',
    headers: {
      host: 'shop.test',
      cookie: 'sid=session-cookie-value',
      authorization: 'Bearer abc.def.ghi',
      'x-api-key': 'k3y-123',
      accept: ['text/html', 'application/json'],
    },
  },
  response: {
    statusCode: 201,
    sizeBytes: 2048,
    headers: { 'content-type': 'text/html', 'set-cookie': ['sid=set-cookie-secret; HttpOnly'] },
  },
  timings: { wallMs: 512.3, cpuMs: 480.1, queuedMs: 12 },
  workerHost: 'worker-7',
  createdAt: new Date('2025-03-04T05:06:07Z'),
}

let dir: string
let hotLoop: CpuProfile
let hotLoopFile: string
let manyFunctions: CpuProfile

beforeAll(async () => {
  dir = scratchDir('report')
  const [hot, many] = await Promise.all([
    recordProfile(HOT_LOOP, join(dir, 'hot-profile')),
    recordProfile(MANY_FUNCTIONS, join(dir, 'many-profile')),
  ])
  hotLoopFile = hot
  hotLoop = await readCpuProfile(hot)
  manyFunctions = await readCpuProfile(many)
})

afterAll(() => removeDir(dir))

/** Lines of the table that follows `heading` in pdftotext output. */
function tableAfter(text: string, heading: string, rows: number): string[] {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.includes(heading))
  // The call graph beside the summary puts lines of its own in between: keep the table's rows.
  return lines
    .slice(start + 1)
    .filter((line) => /^\s*[\d.]+ m?s\s+[\d.]+%/.test(line))
    .slice(0, rows)
}

// The summary column's width: the call graph is drawn to the right of it.
const SUMMARY_WIDTH = 595.28

/** Height in points of each occurrence of `word` on `page` right of `minX` (pdftotext -bbox). */
async function wordHeights(pdf: string, page: number, word: string, minX = 0): Promise<number[]> {
  const { stdout } = await run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), pdf, '-'], {
    maxBuffer: 32 * 1024 * 1024,
  })
  return [...stdout.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<\/word>/g)]
    .filter((match) => match[4]!.startsWith(word) && Number(match[1]) >= minX)
    .map((match) => Number(match[3]) - Number(match[2]))
}

describe('renderProfileReport', () => {
  it('writes a PDF naming the request and the hot function, an SVG and the raw profile', async () => {
    const outDir = join(dir, 'hot-report')
    const stages: string[] = []
    const result = await renderProfileReport({ profile: hotLoop, meta, outDir, baseName: 'job-1', onProgress: (stage) => stages.push(stage) })
    expect(stages).toEqual(['graph', 'layout', 'pdf', 'write'])
    expect(result.pdfPath).toBe(join(outDir, 'job-1.pdf'))
    expect(readJson(result.profilePath)).toEqual(hotLoop)
    expect(result.topSelf[0]?.functionName).toBe('xyzzyHotChecksum')
    expect(result.topTotal.map((fn) => fn.functionName)).toContain('xyzzyHotChecksum')

    const text = await pdfText(result.pdfPath)
    expect(text).toContain('https://shop.test/cart/checkout?page=2&token=[redacted]')
    expect(text).toContain('worker-7')
    expect(text).toContain('201')
    expect(text).toContain('512 ms')
    expect(tableAfter(text, 'Top functions by self time', 1)[0]).toContain('xyzzyHotChecksum')
    expect(tableAfter(text, 'Top functions by total time', 5).join('\n')).toContain('xyzzyHotChecksum')
    expect(text).toContain('xyzzyHotChecksum (render/hot-loop.mjs:3)')
    expect(await pdfFonts(result.pdfPath)).toContain('Helvetica')

    const svg = readFileSync(result.svgPath, 'utf8')
    expect(svg).toContain('xyzzyHotChecksum')
    const flame = readFileSync(result.flamePath, 'utf8')
    expect(flame).toContain('data-n="xyzzyHotChecksum"')
    const speedscope = readFileSync(result.speedscopePath, 'utf8')
    expect(JSON.parse(speedscope).shared.frames.map((frame: { name: string }) => frame.name)).toContain('xyzzyHotChecksum')
    expect(result.pprofPath).toBe(join(outDir, 'job-1.pb.gz'))
    for (const secret of SECRETS) {
      expect(text).not.toContain(secret)
      expect(svg).not.toContain(secret)
      expect(flame).not.toContain(secret)
      expect(speedscope).not.toContain(secret)
    }
    expect(text).toContain('[redacted]')
  })

  it('renders one page: the summary in an A4-wide column, the call graph beside it, the page sized to both', async () => {
    const outDir = join(dir, 'hot-pngs')
    const result = await renderProfileReport({ profile: hotLoop, meta, outDir, baseName: 'report' })
    const pages = await pdfPages(result.pdfPath)
    expect(pages.length).toBe(1)
    expect(pages[0]!.width).toBeGreaterThan(SUMMARY_WIDTH + 100)
    expect(pages[0]!.width).toBeLessThan(SUMMARY_WIDTH + 2000)
    expect(pages[0]!.height).toBeGreaterThanOrEqual(841.89)
    const pngs = await pdfToPngs(result.pdfPath, outDir)
    expect(pngs).toHaveLength(1)
    expect(statSync(pngs[0]!).size).toBeGreaterThan(10_000)
    const text = await pdfText(result.pdfPath)
    expect(tableAfter(text, 'Top functions by total time', 5).join('\n')).toContain('xyzzyHotChecksum')
    const heights = await wordHeights(result.pdfPath, 1, 'xyzzyHotChecksum', SUMMARY_WIDTH)
    expect(heights.length).toBeGreaterThan(0)
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(11)
  })

  it('fits a summary with many long headers on its page instead of spilling onto a second one', async () => {
    const headers: Record<string, string> = {}
    for (let i = 0; i < 40; i++) headers[`x-long-header-${i}`] = `value-${i}-${'v'.repeat(250)}`
    const crowded: ReportMeta = { ...meta, request: { ...meta.request!, headers }, response: { statusCode: 200, headers } }
    const result = await renderProfileReport({ profile: hotLoop, meta: crowded, outDir: join(dir, 'crowded'), baseName: 'crowded' })
    expect(await pdfPages(result.pdfPath)).toHaveLength(1)
    const text = await pdfText(result.pdfPath)
    expect(text).toMatch(/… \d+ more/)
    expect(text).toContain('Top functions by self time')
    expect(tableAfter(text, 'Top functions by self time', 1)[0]).toContain('xyzzyHotChecksum')
  })

  it('keeps a 300-function profile legible: pruned, on one page, 12pt labels', async () => {
    const outDir = join(dir, 'many-report')
    const result = await renderProfileReport({ profile: manyFunctions, meta, outDir, baseName: 'many' })
    expect(result.graph.functions.length).toBeGreaterThan(200)
    expect(result.graph.nodes.length).toBeLessThanOrEqual(80)
    const pages = await pdfPages(result.pdfPath)
    expect(pages).toHaveLength(1)
    expect(pages[0]!.width).toBeLessThanOrEqual(SUMMARY_WIDTH + 100 * 72 + 24)
    const heights = await wordHeights(result.pdfPath, 1, 'quuxHeavyHelper', SUMMARY_WIDTH)
    expect(heights.length).toBeGreaterThan(0)
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(11)
    const pngs = await pdfToPngs(result.pdfPath, outDir)
    expect(pngs.length).toBe(1)
    expect(pngSize(pngs[0]!).width).toBeGreaterThan(0)
  })

  it('copies the profile file as is when given profileFile', async () => {
    const outDir = join(dir, 'copied')
    const result = await renderProfileReport({ profile: hotLoop, profileFile: hotLoopFile, meta, outDir, baseName: 'copy' })
    expect(readFileSync(result.profilePath)).toEqual(readFileSync(hotLoopFile))
  })

  it('renders a profile that holds no samples', async () => {
    const empty: CpuProfile = {
      nodes: [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' } }],
      startTime: 0,
      endTime: 1000,
      samples: [],
      timeDeltas: [],
    }
    const result = await renderProfileReport({ profile: empty, meta, outDir: join(dir, 'empty'), baseName: 'empty' })
    expect(result.graph.nodes).toEqual([])
    expect(await pdfText(result.pdfPath)).toContain('token=[redacted]')
  })

  it('prints characters the standard PDF fonts lack as ? and keeps them in the SVG', async () => {
    const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '1' })
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '', -1), children: [2] },
        { id: 2, callFrame: frame('計算する', 'file:///srv/app/main.js', 3), children: [3] },
        { id: 3, callFrame: frame('naïveSum', 'file:///srv/app/é.js', 5) },
      ],
      startTime: 0,
      endTime: 3000,
      samples: [2, 3, 3],
      timeDeltas: [1000, 1000, 1000],
    }
    const result = await renderProfileReport({ profile, meta, outDir: join(dir, 'unicode'), baseName: 'unicode' })
    const text = await pdfText(result.pdfPath)
    expect(text).toContain('???? (app/main.js:4)')
    expect(text).toContain('naïveSum (app/é.js:6)')
    expect(readFileSync(result.svgPath, 'utf8')).toContain('計算する (app/main.js:4)')
  })

  it('rejects an invalid profile with InvalidProfileError and a path in baseName with TypeError', async () => {
    await expect(renderProfileReport({ profile: {} as never, meta, outDir: join(dir, 'bad') })).rejects.toBeInstanceOf(
      InvalidProfileError,
    )
    await expect(renderProfileReport({ profile: hotLoop, meta, outDir: join(dir, 'bad'), baseName: '../x' })).rejects.toBeInstanceOf(
      TypeError,
    )
  })
})

describe('renderPdf', () => {
  it('prints headers as is when redaction is disabled, and redacts extra keys when asked', async () => {
    const graph = buildCallGraph(hotLoop)
    const svg = await renderSvg(callGraphToDot(graph))
    const headers = { cookie: 'sid=visible-cookie', 'x-tenant-secretish': 'acme', 'x-tenant': 'tenant-42' }
    const plain = join(dir, 'plain.pdf')
    const custom = join(dir, 'custom.pdf')
    const request = { method: 'GET', url: '/report?token=visible-token', headers }
    await writeFile(plain, await renderPdf({ graph, svg, meta: { request }, redact: { enabled: false } }))
    await writeFile(custom, await renderPdf({ graph, svg, meta: { request }, redact: { keys: ['x-tenant'] } }))
    const plainText = await pdfText(plain)
    expect(plainText).toContain('sid=visible-cookie')
    expect(plainText).toContain('token=visible-token')
    const customText = await pdfText(custom)
    expect(customText).not.toContain('tenant-42')
    expect(customText).not.toContain('visible-cookie')
    expect(customText).not.toContain('visible-token')
  })

  it('writes a report for a profile without a request (the CLI case)', async () => {
    const graph = buildCallGraph(hotLoop)
    const pdf = await renderPdf({ graph, svg: await renderSvg(callGraphToDot(graph)), meta: { title: 'nightly job', source: '/tmp/job.cpuprofile' } })
    const path = join(dir, 'no-request.pdf')
    await writeFile(path, pdf)
    const text = await pdfText(path)
    expect(text).toContain('nightly job')
    expect(text).toContain('/tmp/job.cpuprofile')
    expect(text).not.toContain('Request')
  })

  it('rejects a negative topCount with RangeError', async () => {
    const graph = buildCallGraph(hotLoop)
    await expect(renderPdf({ graph, svg: '<svg/>', meta, topCount: -1 })).rejects.toBeInstanceOf(RangeError)
  })
})
