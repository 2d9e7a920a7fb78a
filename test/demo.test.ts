// The main job, end to end: the built demo (`npm run demo` runs the same file) starts its app,
// database and StatsD daemon, drives every scenario over HTTP and writes summary.json. Each
// summary item is checked against the artefact it points to — the watchdog report file, the
// PDF read back with pdftotext, the database's own statement log, the StatsD flush log — not
// against the demo's own verdict.
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const execFileAsync = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const demoMain = join(root, 'apps/demo/dist/main.js')

interface Summary {
  ok: boolean
  failures: string[]
  durationMs: number
  scenarios: Array<{ key: string; statuses: number[]; requestIds: string[] }>
  dogslow: { reports: string[]; blocking?: { path: string; requestId: string }; slowSql?: { path: string; requestId: string } }
  cow: { timeoutsCaught: number; message?: string }
  statsd: { mode: string; path: string; lines: string[] }
  sql: { path?: string; statements: Array<{ requestId: string; sql: string }> }
  geordi: { pdf?: string; svg?: string; cpuprofile?: string }
}

/** Child processes get a plain environment: no loader flags from the test runner, no external servers. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['NODE_OPTIONS', 'VITEST', 'VITEST_MODE', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'DATABASE_URL', 'REDIS_URL']) {
    delete env[name]
  }
  return env
}

function scenario(summary: Summary, key: string): Summary['scenarios'][number] {
  const found = summary.scenarios.find((s) => s.key === key)
  if (found === undefined) throw new Error(`no scenario ${key} in summary.json`)
  return found
}

describe('npm run demo', () => {
  let outDir: string
  let summary: Summary
  let exitCode: number
  let output: string
  let stdout: string
  let stderr: string
  let wallMs: number

  beforeAll(async () => {
    if (!existsSync(demoMain)) throw new Error(`${demoMain} is missing: build the demo first (turbo builds it before this test)`)
    outDir = mkdtempSync(join(tmpdir(), 'intro-demo-e2e-'))
    const started = performance.now()
    try {
      const result = await execFileAsync(process.execPath, [demoMain, '--out', outDir], {
        cwd: root,
        env: cleanEnv(),
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024,
      })
      exitCode = 0
      stdout = result.stdout
      stderr = result.stderr
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string }
      exitCode = typeof failed.code === 'number' ? failed.code : -1
      stdout = failed.stdout ?? ''
      stderr = failed.stderr ?? ''
    }
    wallMs = performance.now() - started
    output = `${stdout}\n${stderr}`
    const summaryPath = join(outDir, 'summary.json')
    if (!existsSync(summaryPath)) throw new Error(`the demo wrote no summary.json (exit ${exitCode}):\n${output}`)
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary
  }, 180_000)

  afterAll(() => {
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true })
  })

  it('finishes with exit code 0 and every check passing, well under two minutes', () => {
    expect(summary.failures, output).toEqual([])
    expect(exitCode, output).toBe(0)
    expect(summary.ok).toBe(true)
    // The whole process: start-up of the database and the StatsD daemon, every scenario, shutdown.
    expect(wallMs).toBeLessThan(120_000)
  })

  it('shows a progress line while it runs', () => {
    const steps = stderr.split('\n').filter((line) => /^\[\d+\/\d+\] /.test(line))
    expect(steps.length).toBeGreaterThan(5)
    const last = steps.at(-1)?.match(/^\[(\d+)\/(\d+)\]/)
    expect(last?.[1]).toBe(last?.[2])
  })

  it('prints a summary with one dogslow report inline, the cow timeout, StatsD lines, commented SQL and the PDF', () => {
    for (const heading of ['dogslow', 'cow', 'StatsD', 'SQL with comments', 'geordi']) expect(stdout).toContain(heading)
    // The blocked-loop report, inline: its header and the function that blocked the loop.
    expect(stdout).toContain('Undead request intercepted at:')
    expect(stdout).toContain('computeTrendingScores')
    expect(stdout).toMatch(/1 evil regex search\(es\) interrupted/)
    expect(stdout).toMatch(/^ {2}stats\.(timers|counters)\.demo\./m)
    expect(stdout).toMatch(/^ {2}\/\*.*request_id='[0-9a-f-]{36}'.*\*\/ ?SELECT/im)
    expect(stdout).toContain(summary.geordi.pdf?.split('/').at(-1) ?? '.pdf')
  })

  /** Nothing under "Waiting on" is the toolkit's own: no watchdog timer, no frame of its packages. */
  function expectNoOwnFramesWaiting(text: string): void {
    const start = text.indexOf('\nWaiting on:\n')
    if (start < 0) return
    const end = text.indexOf('\n\n', start + 1)
    const section = text.slice(start, end < 0 ? undefined : end)
    expect(section).not.toMatch(/request-watch|#arm/)
    expect(section).not.toMatch(/\n {6}at .*(packages\/(core|dogslow|stats|cow|geordi)\/|node_modules\/@intro\/)/)
  }

  it('writes a dogslow report for the blocked event loop that names the blocking function', () => {
    const blocking = summary.dogslow.blocking
    expect(blocking).toBeDefined()
    expect(blocking?.requestId).toBe(scenario(summary, 'blockingLoop').requestIds[0])
    const text = readFileSync(blocking?.path ?? '', 'utf8')
    expect(text).toContain(blocking?.requestId)
    expect(text).toContain('computeTrendingScores')
    // The culprit is the demo's own function, not a toolkit or library frame.
    expect(text.split('\n')[0]).toMatch(/^Culprit: computeTrendingScores \(.*apps\/demo\/.*:\d+\)$/)
    expectNoOwnFramesWaiting(text)
  })

  it('writes a dogslow report for the request waiting on slow SQL that shows the query', () => {
    const slowSql = summary.dogslow.slowSql
    expect(slowSql).toBeDefined()
    const text = readFileSync(slowSql?.path ?? '', 'utf8')
    expect(text).toContain(scenario(summary, 'slowSql').requestIds[0])
    expect(text).toContain('pg_sleep')
    expect(text.split('\n')[0]).toMatch(/^Culprit: .* \(.*apps\/demo\/.*:\d+\)$/)
    expectNoOwnFramesWaiting(text)
  })

  it('answers the evil regex with 422 after cow interrupts it', () => {
    expect(scenario(summary, 'evilRegex').statuses).toEqual([422])
    expect(summary.cow.timeoutsCaught).toBe(1)
    expect(scenario(summary, 'search').statuses).toEqual([200])
  })

  it('logs SQL at the database carrying the request id of the request that sent it', () => {
    const log = readFileSync(summary.sql.path ?? '', 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { sql: string })
    for (const key of ['article', 'slowSql']) {
      const requestId = scenario(summary, key).requestIds[0]
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      const statement = log.find((entry) => entry.sql.includes(`request_id='${requestId}'`))
      expect(statement, `no statement with request_id='${requestId}'`).toBeDefined()
    }
    expect(log.some((entry) => entry.sql.includes('pg_sleep') && entry.sql.startsWith('/*request_id='))).toBe(true)
  })

  it('flushes the app metrics through the StatsD daemon', () => {
    expect(summary.statsd.mode).toBe('daemon')
    const flushed = readFileSync(summary.statsd.path, 'utf8')
    // A metric sent around a flush boundary is split over two flushes: add the lines up.
    const total = (metric: string) =>
      flushed
        .split('\n')
        .filter((line) => line.startsWith(`${metric} `))
        .reduce((sum, line) => sum + Number(line.split(' ')[1]), 0)
    expect(total('stats.timers.demo.http.request.articles_id.GET.2xx.count')).toBe(5)
    expect(total('stats.timers.demo.http.request.feed.GET.2xx.count')).toBe(20)
    expect(total('stats.counters.demo.http.response.422.count')).toBe(1)
    expect(total('stats.timers.demo.sql.select.count')).toBeGreaterThan(0)
  })

  it('produces a geordi PDF whose text contains the hot function', async () => {
    expect(summary.geordi.svg).toBeDefined()
    expect(readFileSync(summary.geordi.svg ?? '', 'utf8')).toContain('rankHeadlines')
    const pdf = summary.geordi.pdf
    expect(pdf).toBeDefined()
    expect(readFileSync(pdf ?? '').subarray(0, 5).toString()).toBe('%PDF-')
    const { stdout } = await execFileAsync('pdftotext', [pdf ?? '', '-'])
    expect(stdout).toContain('rankHeadlines')
    expect(summary.geordi.cpuprofile).toBeDefined()
  })
})

describe('npm run demo -- --serve', () => {
  it('stays up with a landing page that links every scenario, and stops on SIGTERM', async () => {
    const { SCENARIOS } = (await import(join(root, 'apps/demo/dist/scenarios.js'))) as { SCENARIOS: Array<{ path: string }> }
    const outDir = mkdtempSync(join(tmpdir(), 'intro-demo-serve-'))
    const child = spawn(process.execPath, [demoMain, '--serve', '--port', '0', '--out', outDir], { cwd: root, env: cleanEnv() })
    try {
      let printed = ''
      child.stderr.resume()
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the demo did not come up:\n${printed}`)), 90_000)
        child.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${printed}`)))
        child.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString()
          const match = printed.match(/The demo app is up: (http:\/\/\S+?)\/?\n/)
          if (match?.[1] === undefined) return
          clearTimeout(timer)
          resolve(match[1])
        })
      })
      const response = await fetch(`${url}/`)
      expect(response.status).toBe(200)
      const html = await response.text()
      for (const { path } of SCENARIOS) expect(html).toContain(`href="${path.replaceAll('&', '&#38;')}"`)
      expect(html).toContain(outDir.split('/').at(-1))
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      rmSync(outDir, { recursive: true, force: true })
    }
    expect(child.exitCode ?? child.signalCode).toBe(0)
  }, 120_000)
})
