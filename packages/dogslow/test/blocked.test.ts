import { execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { inFlightRequests } from '@intro/core'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { formatUtc } from '../src/format.js'
import { cleanup, defer, listen, markerLine, reportFiles, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

function busyFor(limitMs: number, dir: string): { iterations: number; filesWhileBlocked: number; tokenLength: number } {
  // Built at run time and read after the loop: a constant, or a value dead by the time the loop
  // runs, is optimized out of the frame by Node 24's V8 and no debugger can show it.
  const secretToken = `hunter2-do-not-print-${dir.length}`
  const started = Date.now()
  let iterations = 0
  while (Date.now() - started < limitMs) iterations++ // BUSY-LINE
  return { iterations, filesWhileBlocked: reportFiles(dir).length, tokenLength: secretToken.length }
}

const EVIL = /^(a+)+$/

/** The fastest of five runs of the regex on `n` a's: what the machine does when nothing competes. */
function fastestMs(n: number): number {
  let fastest = Number.POSITIVE_INFINITY
  for (let run = 0; run < 5; run++) {
    const started = performance.now()
    EVIL.test(`${'a'.repeat(n)}!`)
    fastest = Math.min(fastest, performance.now() - started)
  }
  return fastest
}

/**
 * An input that blocks for at least about `targetMs` on this machine, whatever its speed: each
 * extra `a` doubles the backtracking, so time a short one and extrapolate. The fastest of several
 * runs is extrapolated: a timing slowed by other work (the test suites of the other packages run
 * alongside) would give too short an input, a regex that ends before the deadline when the
 * machine is quieter. (It also warms the regex up: V8 interprets its first run and compiles it
 * for the next ones.)
 */
function evilInput(targetMs: number): string {
  let n = 12
  let ms = 0
  while (ms < 20) {
    n++
    ms = fastestMs(n)
  }
  return `${'a'.repeat(n + Math.max(0, Math.ceil(Math.log2(targetMs / ms))))}!`
}

// Past the deadline and the watchdog's stale-heartbeat wait, with room to spare.
const EVIL_INPUT = evilInput(1200)

function matchEvil(input: string): boolean {
  return EVIL.test(input) // EVIL-LINE
}

/** How late the report was taken, after the request's deadline. */
function lateness(report: DogslowReport, timerMs: number): { intercepted: number } {
  return { intercepted: report.interceptedAt - (report.request.startTime + timerMs) }
}

// How late a report is belongs to the benchmarks (bench/dogslow-latency). What the tests hold
// is the behaviour: never before the deadline, and written while the code still blocks — a
// main-thread timer could only fire once the blocked code has returned.

describe('createDogslow (blocked event loop)', () => {
  it('reports a busy loop on time, with the function, line and locals of the blocked code', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 400, outputDir: dir, stackVars: true, onReport: (r) => reports.push(r) })
    let seen: ReturnType<typeof busyFor> | undefined
    const url = await listen(
      dog.wrap((_req, res) => {
        seen = busyFor(1500, dir)
        res.end('done')
      }),
    )
    const started = Date.now()
    await (await fetch(`${url}/busy?n=1`)).text()
    // The file existed before the blocked code returned: written by the watchdog thread.
    expect(seen?.filesWhileBlocked).toBe(1)
    const [text = ''] = await waitForReports(dir, 1)
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/busy\?n=1\n/)
    expect(text).toMatch(/Event loop: BLOCKED for [\d.]+ m?s by this request's code/)
    const busyLine = markerLine(import.meta.url, 'BUSY-LINE')
    expect(text.split('\n')[0]).toMatch(new RegExp(`^Culprit: busyFor \\(.*blocked\\.test\\.ts:${busyLine}\\)$`))
    expect(text).toMatch(new RegExp(`busyFor \\(.*blocked\\.test\\.ts:${busyLine}:\\d+\\)`))
    expect(text, text).toMatch(/CPU: {8}computing /)
    expect(text).toContain('Local variables (innermost first):')
    // The innermost app frame's locals come first, and no module-scope imports or helpers.
    const locals = text.slice(text.indexOf('Local variables (innermost first):'))
    expect(locals.split('\n')[1]).toMatch(/^ {2}busyFor \(/)
    expect(locals).not.toContain('__vite_ssr_import')
    expect(locals).not.toMatch(/ {4}matchEvil = /)
    expect(text).toMatch(/ {4}limitMs = 1500\n/)
    expect(text).toMatch(/ {4}iterations = \d+\n/)
    expect(text).toContain('secretToken = [redacted]')
    expect(text).not.toContain('hunter2')
    expect(Date.now() - started).toBeGreaterThan(1400)
    await until(() => reports.length === 1)
    const report = reports[0] as DogslowReport
    const late = lateness(report, 400)
    expect(late.intercepted).toBeGreaterThanOrEqual(0)
    // The JSON form carries the same moment as the text.
    const json = JSON.parse(JSON.stringify(report)) as DogslowReport
    expect(json.interceptedAt).toBe(report.interceptedAt)
    expect(text).toContain(`Undead request intercepted at: ${formatUtc(json.interceptedAt)}`)
  })

  it('reports an evil regex on time with the right request', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const texts: string[] = []
    const dog = watchdog({
      timerMs: 300,
      outputDir: dir,
      onReport: (r, text) => {
        reports.push(r)
        texts.push(text)
      },
    })
    let filesWhileBlocked = -1
    const url = await listen(
      dog.wrap((req, res) => {
        if (req.url?.startsWith('/evil')) {
          const matched = matchEvil(EVIL_INPUT)
          filesWhileBlocked = reportFiles(dir).length
          res.end(String(matched))
        } else res.end('ok')
      }),
    )
    expect(await (await fetch(`${url}/evil?which=regex`)).text()).toBe('false')
    expect(filesWhileBlocked).toBe(1)
    const [text] = await waitForReports(dir, 1)
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/evil\?which=regex\n/)
    expect(text).toContain('BLOCKED')
    expect(text).toMatch(new RegExp(`matchEvil \\(.*blocked\\.test\\.ts:${markerLine(import.meta.url, 'EVIL-LINE')}:\\d+\\)`))
    expect(text?.split('\n')[0]).toMatch(new RegExp(`^Culprit: matchEvil \\(.*blocked\\.test\\.ts:${markerLine(import.meta.url, 'EVIL-LINE')}\\)$`))
    expect(text).toContain('Local variables are off')
    await until(() => reports.length === 1)
    const late = lateness(reports[0] as DogslowReport, 300)
    expect(late.intercepted).toBeGreaterThanOrEqual(0)
    // The file may already end with the follow-up line of the completed request.
    expect((text ?? '').startsWith(texts[0] ?? '-')).toBe(true)
  })

  it('with locals on, shows the evil regex input, function and line, under the blocking request and not the one waiting beside it', async () => {
    const dir = tempDir()
    const timerMs = 400
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs, outputDir: dir, stackVars: true, onReport: (r) => reports.push(r) })
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url?.startsWith('/evil')) {
          const matched = matchEvil(EVIL_INPUT)
          release()
          res.end(String(matched))
          return
        }
        const waitingLocal = 'belongs-to-the-waiting-request'
        await gate
        res.end(waitingLocal)
      }),
    )
    // The waiting request starts first, so it is the oldest request in flight when the loop blocks.
    const other = fetch(`${url}/other?n=2`).then((r) => r.text())
    await until(() => inFlightRequests().length === 1)
    const evil = fetch(`${url}/evil?which=regex-locals`).then((r) => r.text())
    expect(await evil).toBe('false')
    expect(await other).toBe('belongs-to-the-waiting-request')
    await until(() => reports.length === 2)
    const blocking = reports.find((r) => r.request.url?.includes('/evil')) as DogslowReport
    const waiting = reports.find((r) => r.request.url?.includes('/other')) as DogslowReport
    expect(blocking.request.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/evil\?which=regex-locals$/)
    expect(blocking.loop.state).toBe('blocked')
    expect(blocking.loop.blockedBy).toBeUndefined()
    const top = blocking.frames?.[0]
    expect(top?.functionName).toBe('matchEvil')
    expect(top?.url).toMatch(/blocked\.test\.ts$/)
    expect(top?.line).toBe(markerLine(import.meta.url, 'EVIL-LINE'))
    expect(top?.locals).toContainEqual({ name: 'input', value: JSON.stringify(EVIL_INPUT) })
    const late = lateness(blocking, timerMs)
    expect(late.intercepted).toBeGreaterThanOrEqual(0)
    const blockingText = readFileSync(blocking.file ?? '', 'utf8')
    expect(blockingText).toContain(`    input = ${JSON.stringify(EVIL_INPUT)}\n`)
    expect(blockingText).not.toContain('/other')
    expect(blockingText).not.toContain('belongs-to-the-waiting-request')
    // The waiting request's own report names the blocker, without the blocker's locals.
    expect(waiting.loop.state).toBe('blocked')
    expect(waiting.loop.blockedBy?.url).toBe(blocking.request.url)
    expect(waiting.frames?.[0]?.functionName).toBe('matchEvil')
    expect(waiting.frames?.every((frame) => frame.locals === undefined)).toBe(true)
    expect(readFileSync(waiting.file ?? '', 'utf8')).not.toContain('input = ')
  })

  it('still reports a request blocked in native code, saying so', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 200, outputDir: dir })
    let filesWhileBlocked = -1
    const url = await listen(
      dog.wrap((_req, res) => {
        // One native call that outlasts the deadline plus the watchdog's bounded wait (500 ms).
        execSync('sleep 1.5') // NATIVE-LINE
        filesWhileBlocked = reportFiles(dir).length
        res.end('ok')
      }),
    )
    await (await fetch(`${url}/native?n=1`)).text()
    await waitForReports(dir, 1)
    // Written during the block, then completed (URL, the line where JavaScript resumed) once it returned.
    let text = ''
    await until(() => {
      text = readFileSync(join(dir, reportFiles(dir)[0] ?? ''), 'utf8')
      return text.includes('Update: the native call returned.')
    })
    expect(text).toContain('in native code')
    // The update, written once JavaScript resumed, says the thread was not computing meanwhile.
    expect(text).toMatch(/CPU: {8}stuck in a system call/)
    expect(text).toMatch(new RegExp(`\nCulprit: .*blocked\\.test\\.ts:${markerLine(import.meta.url, 'NATIVE-LINE')}\\)\n`))
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/native\?n=1\n/)
    expect(text).toMatch(/blocked\.test\.ts:\d+/)
    expect(filesWhileBlocked).toBe(1)
    // Once the native call returned, the main thread knows it was reported: no second report.
    await new Promise((r) => setTimeout(r, 500))
    expect(reportFiles(dir)).toHaveLength(1)
  })
})
