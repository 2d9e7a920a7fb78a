import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { type StatsdServer, TestUtilsError, TestUtilsErrorCode, startStatsd } from '../src/index.js'

function send(server: StatsdServer, lines: string[]): Promise<void> {
  const socket = createSocket('udp4')
  return new Promise((resolve, reject) => {
    socket.send(lines.join('\n'), server.port, server.host, (error) => {
      socket.close()
      if (error) reject(error)
      else resolve()
    })
  })
}

describe('startStatsd', () => {
  let statsd: StatsdServer | undefined
  afterEach(async () => {
    await statsd?.stop()
    statsd = undefined
  })

  it('hands back what the real daemon flushed: counters, timers and gauges', async () => {
    statsd = await startStatsd({ flushIntervalMs: 100 })
    await send(statsd, ['app.requests:1|c', 'app.requests:2|c', 'app.latency:12|ms', 'app.latency:30|ms', 'app.queue:7|g'])
    const snapshot = await statsd.waitFor((s) => s.counters['app.requests'] !== undefined)
    expect(snapshot.counters['app.requests']).toBe(3)
    expect(snapshot.timers['app.latency']).toEqual([12, 30])
    expect(snapshot.timerData['app.latency']).toMatchObject({ count: 2, upper: 30, lower: 12 })
    expect(snapshot.gauges['app.queue']).toBe(7)
    expect(statsd.counterTotal('app.requests')).toBe(3)
    expect(statsd.timerValues('app.latency')).toEqual([12, 30])
  })

  it('rejects waitFor with ERR_TEST_UTILS_TIMEOUT when no flush matches', async () => {
    statsd = await startStatsd({ flushIntervalMs: 50 })
    const error = await statsd.waitFor((s) => s.counters['never.sent'] !== undefined, 300).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TestUtilsError)
    expect((error as TestUtilsError).code).toBe(TestUtilsErrorCode.timeout)
    expect(statsd.flushed().length).toBeGreaterThan(0)
  })

  it('stop() can be called twice', async () => {
    statsd = await startStatsd()
    await statsd.stop()
    await statsd.stop()
  })
})
