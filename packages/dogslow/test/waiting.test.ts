import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, markerLine, reportFiles, sleep, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

describe('createDogslow (waiting requests, node:http)', () => {
  it('leaves no trace for a request that finishes in time', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 300, outputDir: dir, onReport: (r) => reports.push(r) })
    const url = await listen(dog.wrap((_req, res) => res.end('fast')))
    expect(await (await fetch(url)).text()).toBe('fast')
    await sleep(600)
    expect(reportFiles(dir)).toEqual([])
    expect(reports).toEqual([])
  })

  it('reports a request sleeping on setTimeout past the deadline, naming the handler line', async () => {
    const dir = tempDir()
    const reports: Array<{ report: DogslowReport; text: string }> = []
    const dog = watchdog({ timerMs: 300, outputDir: dir, onReport: (report, text) => reports.push({ report, text }) })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 900)) // SLEEP-LINE
        res.end('slow')
      }),
    )
    const response = fetch(`${url}/sleepy?delay=2`)
    const [text] = await waitForReports(dir, 1)
    const line = markerLine(import.meta.url, 'SLEEP-LINE')
    // The report starts with the app line that set the timer.
    expect(text).toMatch(new RegExp(`^Culprit: <anonymous> \\(.*waiting\\.test\\.ts:${line}\\)\n`))
    expect(text).toMatch(/\nUndead request intercepted at: \d\d-\d\d-\d{4} \d\d:\d\d:\d\d UTC\n\nGET http:\/\/127\.0\.0\.1:\d+\/sleepy\?delay=2\n/)
    expect(text).toContain('Event loop: responsive')
    expect(text).toContain('[timer] setTimeout(900 ms)')
    // The line that set the timer, first in the timer's stack.
    expect(text).toMatch(new RegExp(`\\[timer\\] setTimeout\\(900 ms\\)\\n.*\\n {6}at .*waiting\\.test\\.ts:${line}:\\d+\\)?\\n`))
    expect(text).toContain(`Process ID: ${process.pid}`)
    // With locals off (the default), the report ends by saying how to turn them on.
    await until(() => reports.length === 1)
    expect(reports[0]?.text).toBe(text)
    expect(text).toMatch(/\n\nLocal variables are off\. Set DOGSLOW_STACK_VARS=1 \(or the `stackVars: true` option\) to include them[^\n]*\n$/)
    expect(reports[0]?.report.localsNote).toMatch(/DOGSLOW_STACK_VARS=1/)
    expect(await (await response).text()).toBe('slow')
  })

  it('does not end with the locals note when locals are on', async () => {
    const dir = tempDir()
    const reports: Array<{ report: DogslowReport; text: string }> = []
    const dog = watchdog({ timerMs: 200, outputDir: dir, stackVars: true, onReport: (report, text) => reports.push({ report, text }) })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await sleep(500)
        res.end('slow')
      }),
    )
    expect(await (await fetch(`${url}/with-locals`)).text()).toBe('slow')
    await until(() => reports.length === 1)
    expect(reports[0]?.text).toContain('Event loop: responsive')
    expect(reports[0]?.text).not.toContain('DOGSLOW_STACK_VARS')
    expect(reports[0]?.report.localsNote).toBeUndefined()
  })
})
