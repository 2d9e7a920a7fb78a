// Request and operation metrics are aggregated in the process and sent once per flush interval
// (counters summed, timers as multi-value lines). These tests hold the promise that goes with it:
// Etsy's statsd daemon computes the same numbers as from one datagram per metric.
import { randomUUID } from 'node:crypto'
import { onRequestLifecycle, startOperation, wrapHandler } from '@intro/core'
import { type StatsdServer, startStatsd } from '@intro/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStats } from '../src/index.js'
import { eventually, listen } from './helpers.js'

let statsd: StatsdServer

beforeAll(async () => {
  // One long statsd window, so a test's requests all land in one flush and statsd's own
  // aggregates (percentiles, sums) cover every value.
  statsd = await startStatsd({ flushIntervalMs: 3000 })
})
afterAll(async () => {
  await statsd?.stop()
})

/** statsd's percentile rule (lib/process_metrics.js): the mean and upper bound of the lowest round(pct % × count) values. */
function statsdPercentile(sorted: number[], pct: number): { mean: number; upper: number; sum: number } {
  const n = Math.round((pct / 100) * sorted.length)
  const lowest = sorted.slice(0, n)
  const sum = lowest.reduce((total, value) => total + value, 0)
  return { mean: sum / n, upper: lowest[n - 1] as number, sum }
}

async function serveRequests(prefix: string, flushIntervalMs: number) {
  const stats = createStats({ host: statsd.host, port: statsd.port, prefix, flushIntervalMs, processIntervalMs: 0 })
  // The durations core hands to every lifecycle hook: stats records exactly these.
  const durations: number[] = []
  const stop = onRequestLifecycle({ onFinish: (_context, info) => void durations.push(info.durationMs) })
  const server = await listen(
    wrapHandler((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 200
      res.end('ok')
    }),
  )
  try {
    for (let i = 0; i < 120; i++) expect((await fetch(`${server.url}/item`)).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/missing`)).status).toBe(404)
  } finally {
    stop()
    await server.close()
  }
  // Rounded to three decimals, as single sends had them.
  const expected = durations
    .slice(0, 120)
    .map((ms) => Math.round(ms * 1000) / 1000)
    .sort((a, b) => a - b)
  return { stats, expected }
}

const ascending = (values: number[] | undefined) => [...(values ?? [])].sort((a, b) => a - b)

describe('aggregated request metrics', () => {
  it('reach statsd every flush interval as the same timer values and counts, in far fewer datagrams', async () => {
    const prefix = `a${randomUUID().slice(0, 8)}`
    const before = statsd.flushed().length
    const { stats, expected } = await serveRequests(prefix, 50)
    try {
      const key = `${prefix}.http.request.unmatched.GET.2xx`
      await eventually(() => statsd.timerValues(key).length >= 120, 15_000)
      expect(ascending(statsd.timerValues(key))).toEqual(expected)
      await eventually(() => statsd.counterTotal(`${prefix}.http.response.404`) === 5, 15_000)
      expect(statsd.counterTotal(`${prefix}.http.response.200`)).toBe(120)
      expect(statsd.timerValues(`${prefix}.http.request.unmatched.GET.4xx`)).toHaveLength(5)
      // 125 requests, 250 metrics: a few datagrams per flush interval instead of one per metric.
      const packets = statsd.flushed().slice(before).reduce((sum, s) => sum + (s.counters['statsd.packets_received'] ?? 0), 0)
      expect(packets).toBeLessThan(100)
    } finally {
      await stats.close()
    }
  })

  it('give statsd the same count, sum, lower, upper and percentiles; close() sends what waits', async () => {
    const prefix = `b${randomUUID().slice(0, 8)}`
    // Nothing leaves before close(): the whole window arrives in one statsd flush.
    const { stats, expected } = await serveRequests(prefix, 600_000)
    await stats.close()
    const key = `${prefix}.http.request.unmatched.GET.2xx`
    const snapshot = await statsd.waitFor((s) => s.timers[key] !== undefined, 15_000)
    expect(ascending(snapshot.timers[key])).toEqual(expected)
    const data = snapshot.timerData[key] ?? {}
    const p90 = statsdPercentile(expected, 90)
    expect(data).toMatchObject({ count: 120, lower: expected[0], upper: expected[119], upper_90: p90.upper })
    expect(data.sum).toBeCloseTo(expected.reduce((sum, value) => sum + value, 0), 6)
    expect(data.sum_90).toBeCloseTo(p90.sum, 6)
    expect(data.mean_90).toBeCloseTo(p90.mean, 6)
    expect(snapshot.counters[`${prefix}.http.response.200`]).toBe(120)
  })

  it('sends a window that fills up at once, without waiting for the interval', async () => {
    const prefix = `c${randomUUID().slice(0, 8)}`
    const stats = createStats({ host: statsd.host, port: statsd.port, prefix, flushIntervalMs: 600_000, processIntervalMs: 0 })
    // 6,000 timer values in one synchronous burst: the window holds 5,000 before it is sent.
    for (let i = 0; i < 6000; i++) startOperation({ kind: 'sql', description: 'SELECT 1' }).end()
    startOperation({ kind: 'sql', description: 'DELETE FROM t' }).end(new Error('locked'))
    await eventually(() => statsd.timerValues(`${prefix}.sql.select`).length === 5000, 15_000)
    await stats.close()
    await eventually(() => statsd.timerValues(`${prefix}.sql.select`).length === 6000, 15_000)
    await eventually(() => statsd.counterTotal(`${prefix}.sql.errors.delete`) === 1, 15_000)
    expect(statsd.timerValues(`${prefix}.sql.delete`)).toHaveLength(1)
    expect(stats.dropped).toBe(0)
  })
})
