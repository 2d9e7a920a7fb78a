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
  return lines.slice(start + 2, start + 2 + rows)
}

/** Height in points of each occurrence of `word` on `page` (pdftotext -bbox). */
async function wordHeights(pdf: string, page: number, word: string): Promise<number[]> {
  const { stdout } = await run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), pdf, '-'], {
    maxBuffer: 32 * 1024 * 1024,
  })
  return [...stdout.matchAll(/<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<\/word>/g)]
    .filter((match) => match[3]!.startsWith(word))
    .map((match) => Number(match[2]) - Number(match[1]))
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
    for (const secret of SECRETS) {
      expect(text).not.toContain(secret)
      expect(svg).not.toContain(secret)
    }
    expect(text).toContain('[redacted]')
  })

  it('renders every page to a PNG, the first one A4 and the graph page sized to the graph', async () => {
    const outDir = join(dir, 'hot-pngs')
    const result = await renderProfileReport({ profile: hotLoop, meta, outDir, baseName: 'report' })
    const pages = await pdfPages(result.pdfPath)
    expect(pages.length).toBe(2)
    expect(pages[0]).toEqual({ width: 595.28, height: 841.89 })
    expect(pages[1]!.width).toBeLessThan(2000)
    const pngs = await pdfToPngs(result.pdfPath, outDir)
    expect(pngs).toHaveLength(2)
    const first = pngSize(pngs[0]!)
    expect(Math.abs(first.width - 496)).toBeLessThanOrEqual(1)
    expect(Math.abs(first.height - 702)).toBeLessThanOrEqual(1)
    for (const png of pngs) expect(statSync(png).size).toBeGreaterThan(10_000)
    const heights = await wordHeights(result.pdfPath, 2, 'xyzzyHotChecksum')
    expect(heights.length).toBeGreaterThan(0)
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(11)
  })

  it('keeps a 300-function profile legible: pruned, on pages no larger than 36 x 24 in, 12pt labels', async () => {
    const outDir = join(dir, 'many-report')
    const result = await renderProfileReport({ profile: manyFunctions, meta, outDir, baseName: 'many' })
    expect(result.graph.functions.length).toBeGreaterThan(200)
    expect(result.graph.nodes.length).toBeLessThanOrEqual(80)
    const pages = await pdfPages(result.pdfPath)
    for (const page of pages.slice(1)) {
      expect(page.width).toBeLessThanOrEqual(36 * 72 + 48)
      expect(page.height).toBeLessThanOrEqual(24 * 72 + 70)
    }
    const graphText = (await pdfText(result.pdfPath)).split('\f').slice(1).join('\n')
    expect(graphText).toContain('quuxHeavyHelper')
    const heights = await wordHeights(result.pdfPath, 2, 'quuxHeavyHelper')
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(11)
    const pngs = await pdfToPngs(result.pdfPath, outDir)
    expect(pngs.length).toBe(pages.length)
    for (const png of pngs.slice(1)) expect(pngSize(png).width).toBeLessThanOrEqual(2200)
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
