import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, reportFiles, sleep, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

describe('createDogslow safety', () => {
  it('redacts credentials in headers, URLs and locals, and bounds long values', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 200, outputDir: dir, stackVars: true, redactKeys: ['x-tenant-key'], onReport: (r) => reports.push(r) })
    const url = await listen(
      dog.wrap((_req, res) => {
        const password = 'pa55word-local'
        const config = { apiKey: 'key-in-object', host: 'db.internal' }
        const dsn = 'postgres://app:dsn-secret@db/prod'
        const huge = 'x'.repeat(5000)
        const started = Date.now()
        while (Date.now() - started < 700) void [password, config, dsn, huge]
        res.end('ok')
      }),
    )
    const response = await fetch(`${url}/login?token=url-token&page=2`, {
      headers: { authorization: 'Bearer header-secret', cookie: 'sid=cookie-secret', 'x-tenant-key': 'custom-secret', 'x-plain': 'visible' },
    })
    await response.text()
    const [text] = await waitForReports(dir, 1)
    for (const secret of ['pa55word-local', 'key-in-object', 'dsn-secret', 'url-token', 'header-secret', 'cookie-secret', 'custom-secret']) {
      expect(text).not.toContain(secret)
    }
    expect(text).toContain('x-plain: visible')
    expect(text).toContain('page=2')
    expect(text).toContain('host: "db.internal"')
    expect(text).toMatch(/huge = "x{400,600}… \(\d+ more characters\)/)
    expect(JSON.stringify(reports[0])).not.toContain('header-secret')
  })

  it('reports a waiting request whose deadline passes while another request blocks the loop, naming the blocker', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 300, outputDir: dir, stackVars: true })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url === '/waiting') {
          await sleep(1200)
          return res.end('waited')
        }
        await sleep(100)
        const innocentLocal = `${req.url}-belongs-to-the-blocker`
        const started = Date.now()
        while (Date.now() - started < 1200 && innocentLocal.length > 0);
        res.end('blocked')
      }),
    )
    await Promise.all([fetch(`${url}/waiting`).then((r) => r.text()), fetch(`${url}/blocker`).then((r) => r.text())])
    const texts = await waitForReports(dir, 2)
    const waiting = texts.find((t) => /\/waiting\n/.test(t)) ?? ''
    const blocker = texts.find((t) => /\/blocker\n/.test(t)) ?? ''
    expect(waiting).toMatch(/Event loop: BLOCKED for [\d.]+ m?s by request [0-9a-f-]+ \(GET http:\/\/127\.0\.0\.1:\d+\/blocker\)/)
    expect(waiting).toContain('[timer] setTimeout(1200 ms)')
    expect(waiting).not.toContain('belongs-to-the-blocker')
    expect(blocker).toContain("by this request's code")
    expect(blocker).toContain('innocentLocal = "/blocker-belongs-to-the-blocker"')
  })

  it('without the inspector, still reports a blocked request on time and says why there is no stack', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 200, outputDir: dir, inspector: false })
    let filesWhileBlocked = -1
    const url = await listen(
      dog.wrap((_req, res) => {
        const started = Date.now()
        while (Date.now() - started < 900);
        filesWhileBlocked = reportFiles(dir).length
        res.end('ok')
      }),
    )
    await (await fetch(`${url}/no-inspector`)).text()
    expect(filesWhileBlocked).toBe(1)
    await sleep(300)
    expect(reportFiles(dir)).toHaveLength(1)
    // Written during the block; completed with the request details once the loop is free.
    let text = ''
    await until(() => {
      text = readFileSync(join(dir, reportFiles(dir)[0] ?? ''), 'utf8')
      return text.includes('Update: the event loop is free again.')
    })
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/no-inspector\n/)
    expect(text).toContain('inspector is turned off')
  })

  it('dumps every request in flight on demand and on a signal', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 60_000, outputDir: dir, signal: 'SIGUSR2' })
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await gate
        res.end('ok')
      }),
    )
    const responses = [fetch(`${url}/one`), fetch(`${url}/two`)]
    const { inFlightRequests } = await import('@intro/core')
    await until(() => inFlightRequests().length === 2)
    const dump = await dog.dumpAll()
    expect(dump.requests.map((r) => new URL(r.request.url ?? '').pathname).sort()).toEqual(['/one', '/two'])
    expect(readFileSync(dump.file ?? '', 'utf8')).toContain('Requests in flight at:')
    process.kill(process.pid, 'SIGUSR2')
    const dumps = () => readdirSync(dir).filter((n) => n.startsWith('inflight_requests_'))
    await until(() => dumps().length === 2)
    release()
    await Promise.all(responses.map(async (r) => (await r).text()))
  })
})
