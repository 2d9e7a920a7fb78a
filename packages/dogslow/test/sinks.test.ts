import diagnosticsChannel from 'node:diagnostics_channel'
import { lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type DiagnosticEvent, onDiagnostic } from '@intro/core'
import { startSmtp } from '@intro/test-utils'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { COMPLETE_CHANNEL, createDogslow, type DogslowCompletion, DogslowError, type DogslowReport, REPORT_CHANNEL } from '../src/index.js'
import { cleanup, defer, listen, reportFiles, sleep, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

function slowHandler(ms: number) {
  return async (_req: unknown, res: { end(body: string): void }) => {
    await new Promise((r) => setTimeout(r, ms))
    res.end('ok')
  }
}

function collectDiagnostics(): DiagnosticEvent[] {
  const events: DiagnosticEvent[] = []
  defer(onDiagnostic((event) => events.push(event)))
  return events
}

describe('createDogslow sinks', () => {
  it('writes a sortable 0600 report file named with time, pid and request id, creating the directory', async () => {
    const dir = join(tempDir(), 'nested', 'reports')
    const dog = watchdog({ timerMs: 200, outputDir: dir })
    const url = await listen(dog.wrap(slowHandler(500)))
    const response = await fetch(url)
    await response.text()
    await waitForReports(dir, 1)
    const [name] = reportFiles(dir)
    const id = response.headers.get('x-request-id')
    expect(name).toMatch(new RegExp(`^slow_request_\\d{8}T\\d{6}\\.\\d{3}Z_${process.pid}_${id}\\.log$`))
    expect(statSync(join(dir, name as string)).mode & 0o777).toBe(0o600)
  })

  it('shows a reader the whole report from the moment its file appears, and leaves no temporary file', async () => {
    const dir = tempDir()
    const seen: number[] = []
    // A reader that looks each time the directory changes, as a log shipper tailing it would.
    const watcher = watch(dir, () => {
      for (const name of reportFiles(dir)) {
        try {
          seen.push(statSync(join(dir, name)).size)
        } catch {}
      }
    })
    defer(() => watcher.close())
    const dog = watchdog({ timerMs: 150, outputDir: dir })
    const url = await listen(dog.wrap(slowHandler(400)))
    await Promise.all([1, 2, 3, 4].map(async (n) => (await fetch(`${url}/${n}`)).text()))
    await waitForReports(dir, 4)
    // The follow-up line is appended to the file that was renamed into place.
    await until(() => reportFiles(dir).every((name) => /\nSlow request .* completed with status 200/.test(readFileSync(join(dir, name), 'utf8'))))
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.filter((size) => size === 0)).toEqual([])
    expect(readdirSync(dir).filter((name) => !name.startsWith('slow_request_'))).toEqual([])
  })

  it('appends the follow-up line to the report file when the request completes, waiting or blocked', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 200, outputDir: dir })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url === '/blocked') {
          const started = Date.now()
          while (Date.now() - started < 1000);
        } else await sleep(600)
        res.statusCode = 201
        res.end('ok')
      }),
    )
    for (const path of ['/waiting', '/blocked']) {
      const response = await fetch(url + path)
      await response.text()
      const id = response.headers.get('x-request-id') ?? ''
      let name = ''
      await until(() => {
        name = reportFiles(dir).find((file) => file.endsWith(`_${id}.log`)) ?? ''
        return name !== ''
      })
      let text = ''
      await until(() => {
        text = readFileSync(join(dir, name), 'utf8')
        return text.includes('\nSlow request ')
      })
      const followUp = new RegExp(`\\nSlow request ${id} \\(GET http://127\\.0\\.0\\.1:\\d+${path}\\) completed with status 201 after (\\d+ ms|\\d+\\.\\d{3} s)\\n$`)
      expect(text).toMatch(followUp)
      const [amount = '', unit] = (followUp.exec(text)?.[1] ?? '').split(' ')
      expect(Number(amount) * (unit === 's' ? 1000 : 1)).toBeGreaterThanOrEqual(600)
      expect(text).toMatch(/^Culprit: .*\nUndead request intercepted at: /)
      // The blocked one was captured in JavaScript by the watchdog thread (the first capture of
      // this process, which would be slow without the watchdog's warm-up), not taken for native code.
      if (path === '/blocked') expect(text).toMatch(/\nEvent loop: BLOCKED for [\d.]+ m?s by this request's code\n/)
    }
  })

  it('mails the report through a real SMTP server', async () => {
    const smtp = await startSmtp()
    defer(() => smtp.stop())
    const dog = watchdog({
      timerMs: 200,
      logToFile: false,
      email: { to: ['ops@example.com', 'dev@example.com'], from: 'dogslow@example.com', smtpUrl: `smtp://${smtp.host}:${smtp.port}` },
    })
    const url = await listen(dog.wrap(slowHandler(500)))
    await (await fetch(`${url}/mailme`)).text()
    const mail = await smtp.waitForMessage(10_000)
    expect(mail.from).toBe('dogslow@example.com')
    expect(mail.to.sort()).toEqual(['dev@example.com', 'ops@example.com'])
    expect(mail.subject).toMatch(/^Slow Request Watchdog: GET http:\/\/127\.0\.0\.1:\d+\/mailme$/)
    expect(mail.text).toContain('Undead request intercepted at:')
  })

  it('logs to a pino logger, publishes on the channel and calls back; logs a follow-up when the request completes', async () => {
    const lines: Array<Record<string, unknown>> = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const published: unknown[] = []
    const onPublish = (message: unknown) => published.push(message)
    diagnosticsChannel.subscribe(REPORT_CHANNEL, onPublish)
    defer(() => {
      diagnosticsChannel.unsubscribe(REPORT_CHANNEL, onPublish)
    })
    const completions: DogslowCompletion[] = []
    const onComplete = (message: unknown) => completions.push(message as DogslowCompletion)
    diagnosticsChannel.subscribe(COMPLETE_CHANNEL, onComplete)
    defer(() => {
      diagnosticsChannel.unsubscribe(COMPLETE_CHANNEL, onComplete)
    })
    const callbacks: DogslowReport[] = []
    const dog = watchdog({ timerMs: 200, logToFile: false, logger: pino(stream), logLevel: 'error', onReport: (r) => callbacks.push(r) })
    const url = await listen(dog.wrap(slowHandler(500)))
    await (await fetch(`${url}/logged`)).text()
    await until(() => completions.length === 1)
    expect(lines[0]?.level).toBe(50)
    expect(String(lines[0]?.msg)).toContain('Undead request intercepted at:')
    expect((lines[0]?.dogslow as DogslowReport | undefined)?.request.url).toMatch(/\/logged$/)
    expect(published).toHaveLength(1)
    expect(callbacks[0]?.type).toBe('dogslow.report')
    expect(JSON.parse(JSON.stringify(callbacks[0])).loop.state).toBe('responsive')
    expect(completions[0]).toMatchObject({ statusCode: 200, aborted: false })
    expect(completions[0]?.durationMs).toBeGreaterThanOrEqual(450)
    expect(String(lines[1]?.msg)).toMatch(/completed with status 200 after/)
  })

  it('never appends the follow-up through a symlink put at the report file name, and reports it', async () => {
    const events = collectDiagnostics()
    const dir = tempDir()
    const target = join(tempDir(), 'victim.txt')
    writeFileSync(target, 'untouched\n')
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const dog = watchdog({ timerMs: 150, outputDir: dir })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await released
        res.end('ok')
      }),
    )
    const response = fetch(`${url}/slow`)
    await waitForReports(dir, 1)
    const [name = ''] = reportFiles(dir)
    // What another user of a shared directory could do between the report and its follow-up.
    rmSync(join(dir, name))
    symlinkSync(target, join(dir, name))
    release()
    expect((await response).status).toBe(200)
    await until(() => events.some((e) => e.scope === 'dogslow.sink.file'))
    expect(readFileSync(target, 'utf8')).toBe('untouched\n')
    expect(lstatSync(join(dir, name)).isSymbolicLink()).toBe(true)
    const failure = events.find((e) => e.scope === 'dogslow.sink.file')?.error as DogslowError | undefined
    expect(failure).toBeInstanceOf(DogslowError)
    expect(failure?.code).toBe('ERR_INTRO_DOGSLOW_SINK')
  })

  it('keeps delivering to the other sinks when the output directory is unwritable, reporting the error once', async () => {
    const events = collectDiagnostics()
    const blocker = join(tempDir(), 'a-file')
    writeFileSync(blocker, 'not a directory')
    const smtp = await startSmtp()
    defer(() => smtp.stop())
    const callbacks: DogslowReport[] = []
    const dog = watchdog({
      timerMs: 150,
      outputDir: join(blocker, 'reports'),
      onReport: (r) => callbacks.push(r),
      email: { to: 'ops@example.com', from: 'dogslow@example.com', smtpUrl: `smtp://${smtp.host}:${smtp.port}` },
    })
    const url = await listen(dog.wrap(slowHandler(400)))
    await Promise.all([fetch(`${url}/a`).then((r) => r.text()), fetch(`${url}/b`).then((r) => r.text())])
    await until(() => callbacks.length === 2 && smtp.messages.length === 2)
    const fileErrors = events.filter((e) => e.scope === 'dogslow.sink.file')
    expect(fileErrors).toHaveLength(1)
    expect(fileErrors[0]?.error).toBeInstanceOf(DogslowError)
    expect((fileErrors[0]?.error as DogslowError | undefined)?.code).toBe('ERR_INTRO_DOGSLOW_SINK')
  })

  it('a throwing logger or callback changes neither the responses nor the other sinks, and is reported once', async () => {
    const events = collectDiagnostics()
    const dir = tempDir()
    let logged = 0
    let called = 0
    const loggerDown = new Error('logger down')
    const callbackBug = new Error('callback bug')
    const logger = {
      info() {},
      warn() {
        logged++
        throw loggerDown
      },
      error() {},
    }
    const dog = watchdog({
      timerMs: 150,
      outputDir: dir,
      logger,
      onReport: () => {
        called++
        throw callbackBug
      },
    })
    const url = await listen(dog.wrap(slowHandler(400)))
    for (const path of ['/first', '/second']) {
      const response = await fetch(url + path)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('ok')
    }
    await waitForReports(dir, 2)
    await until(() => logged === 2 && called === 2)
    await sleep(50)
    for (const [scope, cause] of [
      ['dogslow.sink.logger', loggerDown],
      ['dogslow.sink.callback', callbackBug],
    ] as const) {
      const failures = events.filter((e) => e.scope === scope)
      expect(failures).toHaveLength(1)
      const error = failures[0]?.error as DogslowError
      expect(error).toBeInstanceOf(DogslowError)
      expect(error.code).toBe('ERR_INTRO_DOGSLOW_SINK')
      expect(error.cause).toBe(cause)
    }
  })

  it('rate-limits a storm of slow requests and announces how many were suppressed', async () => {
    const events = collectDiagnostics()
    const dir = tempDir()
    const completions: DogslowCompletion[] = []
    const followUps: string[] = []
    const logger = {
      info: (_object: object, message?: string) => followUps.push(String(message)),
      warn() {},
      error() {},
    }
    const dog = watchdog({
      timerMs: 100,
      outputDir: dir,
      logger,
      onComplete: (c) => completions.push(c),
      rateLimit: { maxReports: 3, intervalMs: 1500 },
    })
    const url = await listen(dog.wrap(slowHandler(300)))
    await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${url}/storm/${i}`).then((r) => r.text())))
    await sleep(300)
    expect(reportFiles(dir)).toHaveLength(3)
    // Follow-ups only for the 3 reported requests: a suppressed report has no follow-up either.
    await until(() => completions.length >= 3)
    await sleep(200)
    expect(completions).toHaveLength(3)
    expect(followUps).toHaveLength(3)
    const reported = (await waitForReports(dir, 3)).map((text) => /\/storm\/\d+/.exec(text)?.[0])
    expect(completions.map((c) => new URL(c.url ?? '').pathname).sort()).toEqual([...reported].sort())
    for (const text of await waitForReports(dir, 3)) expect(text).toMatch(/\nSlow request \S+ \(GET \S+\/storm\/\d+\) completed with status 200 after /)
    await until(() => events.some((e) => e.scope === 'dogslow.rate-limit'), 5000)
    expect(events.find((e) => e.scope === 'dogslow.rate-limit')?.message).toMatch(/^7 /)
    // The next window admits again, and its first report carries the count.
    await (await fetch(`${url}/after`)).text()
    const texts = await waitForReports(dir, 4)
    expect(texts.find((t) => t.includes('/after'))).toContain('7 earlier report(s) were suppressed')
  })
})
