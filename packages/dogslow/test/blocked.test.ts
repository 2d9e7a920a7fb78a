import { execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow } from '../src/index.js'
import { cleanup, defer, listen, reportFiles, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

function busyFor(limitMs: number, dir: string): { iterations: number; filesWhileBlocked: number } {
  const secretToken = 'hunter2-do-not-print'
  const started = Date.now()
  let iterations = 0
  while (Date.now() - started < limitMs) iterations++
  void secretToken
  return { iterations, filesWhileBlocked: reportFiles(dir).length }
}

describe('createDogslow (blocked event loop)', () => {
  it('reports a busy loop on time, with the function, line and locals of the blocked code', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 400, outputDir: dir, stackVars: true })
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
    expect(text).toMatch(/busyFor \(.*blocked\.test\.ts:\d+:\d+\)/)
    expect(text).toContain('Full backtrace with local variables:')
    expect(text).toMatch(/ {4}limitMs = 1500\n/)
    expect(text).toMatch(/ {4}iterations = \d+\n/)
    expect(text).toContain('secretToken = [redacted]')
    expect(text).not.toContain('hunter2')
    const intercepted = /Undead request intercepted at: (.*)/.exec(text)?.[1]
    expect(intercepted).toBeDefined()
    expect(Date.now() - started).toBeGreaterThan(1400)
  })

  it('reports an evil regex on time with the right request', async () => {
    const dir = tempDir()
    const reports: string[] = []
    const dog = watchdog({ timerMs: 300, outputDir: dir, onReport: (_r, text) => reports.push(text) })
    const evil = /^(a+)+$/
    let filesWhileBlocked = -1
    const url = await listen(
      dog.wrap((req, res) => {
        if (req.url?.startsWith('/evil')) {
          const input = `${'a'.repeat(25)}!`
          const matched = evil.test(input)
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
    expect(text).toMatch(/blocked\.test\.ts:\d+/)
    expect(text).toContain('Local variables are off')
  })

  it('still reports a request blocked in native code, saying so', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 200, outputDir: dir })
    let filesWhileBlocked = -1
    const url = await listen(
      dog.wrap((_req, res) => {
        // One native call that outlasts the deadline plus the watchdog's bounded wait (500 ms).
        execSync('sleep 1.5')
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
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/native\?n=1\n/)
    expect(text).toMatch(/blocked\.test\.ts:\d+/)
    expect(filesWhileBlocked).toBe(1)
    // Once the native call returned, the main thread knows it was reported: no second report.
    await new Promise((r) => setTimeout(r, 500))
    expect(reportFiles(dir)).toHaveLength(1)
  })
})
