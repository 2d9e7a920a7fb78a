import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, reportFiles, sleep, tempDir, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

function expectInvalid(options: Parameters<typeof createDogslow>[0], Kind: typeof TypeError | typeof RangeError) {
  try {
    createDogslow(options).close()
  } catch (error) {
    expect(error).toBeInstanceOf(Kind)
    expect((error as { code?: string }).code).toBe('ERR_INTRO_INVALID_OPTION')
    return
  }
  throw new Error('expected createDogslow to throw')
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
    expectInvalid({ env: { DOGSLOW_TIMER: 'soon' } }, RangeError)
    expectInvalid({ env: { DOGSLOW_TIMER: '-1' } }, RangeError)
    expectInvalid({ env: { DOGSLOW: 'maybe' } }, RangeError)
    expectInvalid({ env: { DOGSLOW_LOG_LEVEL: 'loud' } }, RangeError)
    expectInvalid({ env: { DOGSLOW_EMAIL_TO: 'not-an-address', DOGSLOW_EMAIL_FROM: 'x@example.com' } }, TypeError)
    expectInvalid({ env: { DOGSLOW_SIGNAL: 'SIGUSR1' } }, RangeError)
    expectInvalid({ env: { DOGSLOW_RATE_LIMIT: 'lots' } }, RangeError)
    expectInvalid({ env: { DOGSLOW_IGNORE_URLS: '/[/' } }, TypeError)
    expectInvalid({ env: {}, timerMs: 0 }, RangeError)
    expectInvalid({ env: {}, timerMs: '5' as unknown as number }, TypeError)
    expectInvalid({ env: {}, email: { to: 'a@example.com', from: 'b@example.com', smtpUrl: 'http://x' } }, TypeError)
    expectInvalid({ env: {}, logger: {} as never }, TypeError)
    expectInvalid({ env: {}, limits: { maxFrames: 0 } }, RangeError)
    expectInvalid({ env: {}, unknownOption: 1 } as never, TypeError)
  })

  it('does nothing when turned off', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: { DOGSLOW: 'off' }, timerMs: 100, outputDir: dir, onReport: (r) => reports.push(r) })
    expect(dog.enabled).toBe(false)
    const before = globalThis.setTimeout
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
