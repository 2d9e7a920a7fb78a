import http from 'node:http'
import { trackOperation } from '@intro/core'
import { rawRequest } from '@intro/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, sleep, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

/**
 * Recurses `depth` times, then blocks the loop for `ms` with nine locals in scope. Every frame has
 * three parameters in scope: Node 24's V8 lists no `const` still in its dead zone, as the
 * recursing frames' are.
 */
function nest(depth: number, ms: number, step = 1): number {
  if (depth > 0) return nest(depth - 1, ms, step) + step
  const a = 1
  const b = 2
  const c = 3
  const d = 4
  const e = 5
  const f = 6
  const started = Date.now()
  while (Date.now() - started < ms);
  return a + b + c + d + e + f
}

/**
 * A watchdog reading locals, with `limits`, in front of a route that blocks the loop 2 s
 * seven frames deep (long past the 200 ms deadline, so that a watchdog thread slowed by a loaded
 * machine still finds the loop inside `nest`); resolves with its reports and the route's URL.
 */
async function deepBlockingRoute(limits: NonNullable<Parameters<typeof createDogslow>[0]>['limits']) {
  const reports: DogslowReport[] = []
  const dog = watchdog({ env: {}, timerMs: 200, logToFile: false, stackVars: true, limits, onReport: (r) => reports.push(r) })
  const url = await listen(
    dog.wrap((_req, res) => {
      res.end(String(nest(6, 2000)))
    }),
  )
  return { reports, url: `${url}/deep` }
}

describe('createDogslow limits', () => {
  it('keeps maxFrames frames, reads locals of maxFramesWithLocals frames, maxLocalsPerFrame locals each', async () => {
    const { reports, url } = await deepBlockingRoute({ maxFrames: 4, maxFramesWithLocals: 2, maxLocalsPerFrame: 3 })
    expect(await (await fetch(url)).text()).toBe('27')
    await until(() => reports.length === 1)
    const frames = reports[0]?.frames ?? []
    // The stack is deeper (seven nest frames, the handler, core's adapter, node:http), cut to 4.
    expect(frames.map((frame) => frame.functionName)).toEqual(['nest', 'nest', 'nest', 'nest'])
    expect(frames.map((frame) => frame.locals?.length)).toEqual([3, 3, undefined, undefined])
  })

  it('lists at most maxOperations operations, each with at most maxFrames stack lines', async () => {
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: {}, timerMs: 200, logToFile: false, traceTimers: false, limits: { maxOperations: 3, maxFrames: 2 }, onReport: (r) => reports.push(r) })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await Promise.all([1, 2, 3, 4, 5].map((n) => trackOperation({ kind: 'lock', description: `lock-${n}` }, () => sleep(600))))
        res.end('ok')
      }),
    )
    await (await fetch(`${url}/many-operations`)).text()
    await until(() => reports.length === 1)
    const waitingOn = reports[0]?.waitingOn ?? []
    expect(waitingOn.map((op) => op.description)).toEqual(['lock-1', 'lock-2', 'lock-3'])
    for (const op of waitingOn) expect(op.stack).toHaveLength(2)
  })

  it('bounds headers, query parameters and total size of a hostile request, and says what was cut', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: {}, timerMs: 150, outputDir: dir, onReport: (r) => reports.push(r) })
    // A server that accepts what Node refuses by default, as a proxy-facing app might.
    const server = http.createServer({ maxHeaderSize: 8_000_000 }, dog.wrap((_req, res) => void setTimeout(() => res.end('ok'), 400)))
    server.maxHeadersCount = 0
    const url = await listen(server)
    const query = Array.from({ length: 500 }, (_, i) => `q${i}=${i}`).join('&')
    const headers = Array.from({ length: 10_000 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(400)}`)
    const answer = await rawRequest({
      port: Number(new URL(url).port),
      text: `GET /search?${query} HTTP/1.1\r\nHost: localhost\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n`,
    })
    expect(answer).toMatch(/^HTTP\/1\.1 200/)
    const [text] = await waitForReports(dir, 1)
    await until(() => reports.length === 1)
    const report = reports[0] as DogslowReport
    expect(Object.keys(report.request.headers ?? {})).toHaveLength(100)
    expect(report.cut).toMatchObject({ headers: 10_002 - 100, queryParameters: 400 })
    expect(report.request.url).toContain('q99=99')
    expect(report.request.url).not.toContain('q100=')
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(262_144)
    expect(Buffer.byteLength(text ?? '')).toBeLessThan(262_144)
    expect(text).toContain('Cut from this report: 9902 request header(s) past limits.maxHeaders; 400 query parameter(s) past limits.maxQueryParameters.')
  })

  it('drops whole sections, locals first, to fit maxReportBytes, and names them', async () => {
    const { reports, url } = await deepBlockingRoute({ maxReportBytes: 3000 })
    expect(await (await fetch(url, { headers: { 'x-big': 'b'.repeat(400) } })).text()).toBe('27')
    await until(() => reports.length === 1)
    const report = reports[0] as DogslowReport
    expect(report.cut?.sections?.[0]).toBe('local variables')
    expect(report.cut?.originalBytes).toBeGreaterThan(3000)
    expect(report.frames?.some((frame) => frame.locals !== undefined)).toBe(false)
    expect(report.frames?.[0]?.functionName).toBe('nest')
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(3000 + 200)
  })
})
