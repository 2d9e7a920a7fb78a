import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, reportFiles, sleep, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

/** Expects start-up to fail with `Kind` and core's code, and the message to name `setting`. */
function expectInvalid(options: Parameters<typeof createDogslow>[0], Kind: typeof TypeError | typeof RangeError, setting: string) {
  let thrown: unknown
  try {
    createDogslow(options).close()
  } catch (error) {
    thrown = error
  }
  expect(thrown, setting).toBeInstanceOf(Kind)
  expect((thrown as { code?: string }).code, setting).toBe('ERR_INTRO_INVALID_OPTION')
  expect((thrown as Error).message).toContain(setting)
}

/** Captures what is written to stderr until the test ends. */
function captureStderr(): string[] {
  const chunks: string[] = []
  const original = process.stderr.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  defer(() => {
    process.stderr.write = original
  })
  return chunks
}

function slowServer(dog: ReturnType<typeof createDogslow>, ms: number): Promise<string> {
  return listen(
    dog.wrap(async (_req, res) => {
      await sleep(ms)
      res.end('ok')
    }),
  )
}

describe('createDogslow settings', () => {
  it('reads the original tool settings from the environment', async () => {
    const dir = tempDir()
    const dog = watchdog({
      env: {
        DOGSLOW: '1',
        DOGSLOW_TIMER: '0.25',
        DOGSLOW_OUTPUT: dir,
        DOGSLOW_LOG_TO_FILE: 'on',
        DOGSLOW_EMAIL_TO: 'a@example.com, b@example.com',
        DOGSLOW_EMAIL_FROM: 'dogslow@example.com',
        DOGSLOW_SMTP_URL: 'smtp://127.0.0.1:2525',
        DOGSLOW_LOG_LEVEL: 'critical',
        DOGSLOW_IGNORE_URLS: '/health, /^\\/static\\//',
        DOGSLOW_STACK_VARS: 'true',
        DOGSLOW_SIGNAL: 'SIGUSR2',
        DOGSLOW_RATE_LIMIT: '5/10',
      },
    })
    const s = dog.settings
    expect(s.timerMs).toBe(250)
    expect(s.outputDir).toBe(dir)
    expect(s.email).toEqual({ to: ['a@example.com', 'b@example.com'], from: 'dogslow@example.com', smtpUrl: 'smtp://127.0.0.1:2525' })
    expect(s.logLevel).toBe('fatal')
    expect([...s.ignoreNames]).toEqual(['/health'])
    expect(s.ignorePatterns.map(String)).toEqual(['/^\\/static\\//'])
    expect(s.stackVars).toBe(true)
    expect(s.signal).toBe('SIGUSR2')
    expect(s.rateLimit).toEqual({ maxReports: 5, intervalMs: 10_000 })
  })

  it('has the original defaults: 25 s, files in the temp dir, no email, warning level, no locals', () => {
    const dog = watchdog({ env: {} })
    const s = dog.settings
    expect(s.enabled).toBe(true)
    expect(s.timerMs).toBe(25_000)
    expect(s.outputDir).toBe(tmpdir())
    expect(s.logToFile).toBe(true)
    expect(s.email).toBeUndefined()
    expect(s.logLevel).toBe('warn')
    expect(s.stackVars).toBe(false)
    expect(s.signal).toBeUndefined()
  })

  it('mails only when both DOGSLOW_EMAIL_TO and DOGSLOW_EMAIL_FROM are set', () => {
    expect(watchdog({ env: { DOGSLOW_EMAIL_TO: 'a@example.com' } }).settings.email).toBeUndefined()
  })

  it('fails at start-up on invalid values, naming the setting', () => {
    expectInvalid({ env: { DOGSLOW_TIMER: 'soon' } }, RangeError, 'DOGSLOW_TIMER')
    expectInvalid({ env: { DOGSLOW_TIMER: '-1' } }, RangeError, 'DOGSLOW_TIMER')
    expectInvalid({ env: { DOGSLOW_TIMER: '9999999' } }, RangeError, 'DOGSLOW_TIMER')
    expectInvalid({ env: { DOGSLOW: 'maybe' } }, RangeError, 'DOGSLOW')
    expectInvalid({ env: { DOGSLOW_LOG_TO_FILE: 'sometimes' } }, RangeError, 'DOGSLOW_LOG_TO_FILE')
    expectInvalid({ env: { DOGSLOW_STACK_VARS: 'perhaps' } }, RangeError, 'DOGSLOW_STACK_VARS')
    expectInvalid({ env: { DOGSLOW_WATCH_BLOCKED: '2' } }, RangeError, 'DOGSLOW_WATCH_BLOCKED')
    expectInvalid({ env: { DOGSLOW_LOG_LEVEL: 'loud' } }, RangeError, 'DOGSLOW_LOG_LEVEL')
    expectInvalid({ env: { DOGSLOW_EMAIL_TO: 'not-an-address', DOGSLOW_EMAIL_FROM: 'x@example.com' } }, TypeError, 'DOGSLOW_EMAIL_TO')
    expectInvalid({ env: { DOGSLOW_EMAIL_TO: 'a@example.com', DOGSLOW_EMAIL_FROM: 'x@example.com', DOGSLOW_SMTP_URL: 'http://mail' } }, TypeError, 'DOGSLOW_SMTP_URL')
    expectInvalid({ env: { DOGSLOW_SIGNAL: 'SIGUSR1' } }, RangeError, 'DOGSLOW_SIGNAL')
    expectInvalid({ env: { DOGSLOW_SIGNAL: 'usr2' } }, TypeError, 'DOGSLOW_SIGNAL')
    expectInvalid({ env: { DOGSLOW_RATE_LIMIT: 'lots' } }, RangeError, 'DOGSLOW_RATE_LIMIT')
    expectInvalid({ env: { DOGSLOW_IGNORE_URLS: '/[/' } }, TypeError, 'DOGSLOW_IGNORE_URLS')
    expectInvalid({ env: {}, timerMs: 0 }, RangeError, 'timerMs')
    expectInvalid({ env: {}, timerMs: '5' as unknown as number }, TypeError, 'timerMs')
    expectInvalid({ env: {}, email: { to: 'a@example.com', from: 'b@example.com', smtpUrl: 'http://x' } }, TypeError, 'email.smtpUrl')
    expectInvalid({ env: {}, logger: {} as never }, TypeError, 'logger')
    expectInvalid({ env: {}, logLevel: 'loud' as never }, RangeError, 'logLevel')
    expectInvalid({ env: {}, limits: { maxFrames: 0 } }, RangeError, 'limits.maxFrames')
    expectInvalid({ env: {}, rateLimit: { maxReports: 0, intervalMs: 1000 } }, RangeError, 'rateLimit.maxReports')
    expectInvalid({ env: {}, unknownOption: 1 } as never, TypeError, 'unknownOption')
    // A misspelled key names the option it probably meant.
    expectInvalid({ env: {}, timerMS: 5 } as never, TypeError, 'did you mean `timerMs`')
    expectInvalid({ env: {}, limits: { maxHeader: 5 } } as never, TypeError, 'did you mean `maxHeaders`')
    expectInvalid({ env: {}, limits: { maxReportBytes: 1.5 } }, RangeError, 'limits.maxReportBytes')
  })

  it('DOGSLOW_LOGGER alone logs pino-format JSON lines to stderr under that name', async () => {
    const dog = watchdog({ env: { DOGSLOW_LOGGER: 'checkout', DOGSLOW_LOG_LEVEL: 'error' }, timerMs: 150, logToFile: false })
    const url = await slowServer(dog, 400)
    const stderr = captureStderr()
    expect(await (await fetch(`${url}/pay`)).text()).toBe('ok')
    const entries = () =>
      stderr
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.name === 'checkout')
    await until(() => entries().length === 2)
    const [report, followUp] = entries()
    expect(report).toMatchObject({ level: 50, pid: process.pid, name: 'checkout' })
    expect(String(report?.msg)).toMatch(/^Culprit: .*\nUndead request intercepted at: .*\n\nGET http:\/\/127\.0\.0\.1:\d+\/pay\n/)
    expect((report?.dogslow as DogslowReport | undefined)?.type).toBe('dogslow.report')
    expect(followUp).toMatchObject({ level: 30, name: 'checkout' })
    expect(String(followUp?.msg)).toMatch(/completed with status 200/)
  })

  it('DOGSLOW_LOGGER with a logger object logs through logger.child({ name })', async () => {
    const lines: Array<Record<string, unknown>> = []
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const dog = watchdog({ env: { DOGSLOW_LOGGER: 'orders' }, logger: pino(stream), timerMs: 150, logToFile: false })
    const url = await slowServer(dog, 400)
    await (await fetch(url)).text()
    await until(() => lines.length === 2)
    expect(lines[0]).toMatchObject({ level: 40, name: 'orders' })
    expect(lines[1]).toMatchObject({ level: 30, name: 'orders' })
  })

  it('DOGSLOW_LOG_TO_FILE=off writes no file, and the other sinks still get the report', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: { DOGSLOW_LOG_TO_FILE: 'off', DOGSLOW_OUTPUT: dir }, timerMs: 150, onReport: (r) => reports.push(r) })
    expect(dog.settings.logToFile).toBe(false)
    const url = await slowServer(dog, 400)
    await (await fetch(`${url}/no-file`)).text()
    await until(() => reports.length === 1)
    await sleep(100)
    expect(reports[0]?.request.url).toMatch(/\/no-file$/)
    expect(reports[0]?.file).toBeUndefined()
    expect(readdirSync(dir)).toEqual([])
  })

  it('DOGSLOW_LOG_TO_FILE=off holds for blocked-loop reports too (the watchdog thread writes none)', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: { DOGSLOW_LOG_TO_FILE: '0', DOGSLOW_OUTPUT: dir }, timerMs: 150, onReport: (r) => reports.push(r) })
    const url = await listen(
      dog.wrap((_req, res) => {
        const started = Date.now()
        while (Date.now() - started < 700);
        res.end('ok')
      }),
    )
    await (await fetch(`${url}/blocked-no-file`)).text()
    await until(() => reports.length === 1)
    expect(reports[0]?.loop.state).toBe('blocked')
    expect(reports[0]?.file).toBeUndefined()
    expect(readdirSync(dir)).toEqual([])
  })

  it('does nothing when turned off', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    // Taken before createDogslow: an enabled watchdog would have replaced it (timer tracing).
    const before = globalThis.setTimeout
    const dog = watchdog({ env: { DOGSLOW: 'off' }, timerMs: 100, outputDir: dir, onReport: (r) => reports.push(r) })
    expect(dog.enabled).toBe(false)
    const url = await listen(dog.wrap(async (_req, res) => {
      await sleep(300)
      res.end('ok')
    }))
    expect(await (await fetch(url)).text()).toBe('ok')
    await sleep(200)
    expect(reportFiles(dir)).toEqual([])
    expect(reports).toEqual([])
    expect(globalThis.setTimeout).toBe(before)
  })

  it('exempts routes by name and by pattern of the route template, but never a path no route matched', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: {}, timerMs: 150, outputDir: dir, ignoreUrls: ['/health', /^\/static\//], onReport: (r) => reports.push(r) })
    const express = (await import('express')).default
    const app = express()
    app.use(dog.express())
    const slow = async (_req: unknown, res: { send(body: string): void }) => {
      await sleep(400)
      res.send('ok')
    }
    app.get('/health', slow)
    app.get('/static/:file', slow)
    app.get('/orders/:id', slow)
    app.use(async (_req, res) => {
      await sleep(400)
      res.status(404).send('nope')
    })
    const url = await listen((await import('node:http')).createServer(app))
    // Exempt: a named route, a route whose template matches the pattern. Reported: a route not
    // listed, and two unrouted paths, one of them looking like the pattern.
    const paths = ['/health', '/static/app.js', '/orders/7', '/health-check', '/static/deep/app.js']
    const statuses = await Promise.all(
      paths.map(async (p) => {
        const response = await fetch(url + p)
        await response.text()
        return response.status
      }),
    )
    expect(statuses).toEqual([200, 200, 200, 404, 404])
    await waitForReports(dir, 3)
    await sleep(200)
    expect(reports.map((r) => new URL(r.request.url ?? '').pathname).sort()).toEqual(['/health-check', '/orders/7', '/static/deep/app.js'])
  })

  it('matches DOGSLOW_IGNORE_URLS patterns against "METHOD template" too', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: { DOGSLOW_IGNORE_URLS: '/^POST \\/upload/' }, timerMs: 150, outputDir: dir, onReport: (r) => reports.push(r) })
    const express = (await import('express')).default
    const app = express()
    app.use(dog.express())
    app.all('/upload', async (_req, res) => {
      await sleep(400)
      res.send('ok')
    })
    const url = await listen((await import('node:http')).createServer(app))
    await Promise.all(['POST', 'PUT'].map((method) => fetch(`${url}/upload`, { method, body: 'x' }).then((r) => r.text())))
    await waitForReports(dir, 1)
    await sleep(200)
    expect(reports.map((r) => r.request.method)).toEqual(['PUT'])
  })
})
