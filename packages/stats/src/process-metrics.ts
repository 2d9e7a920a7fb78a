import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { safeExecute } from '@intro/core'
import type { StatsdTransport } from './statsd-transport.js'

/** Gauge names written on every process interval (documented in docs/stats.md). */
export const ProcessMetric = {
  eventLoopDelayMean: 'process.event_loop.delay_mean',
  eventLoopDelayP99: 'process.event_loop.delay_p99',
  eventLoopDelayMax: 'process.event_loop.delay_max',
  heapUsed: 'process.memory.heap_used',
  heapTotal: 'process.memory.heap_total',
  rss: 'process.memory.rss',
  external: 'process.memory.external',
  gcPause: 'process.gc.pause',
  gcCount: 'process.gc.count',
} as const

const NS_PER_MS = 1e6

/**
 * Samples event-loop delay, memory and GC pauses every `intervalMs` and writes them as gauges
 * (`extra` adds more, such as the in-flight request count). Returns the stop function.
 */
export function startProcessMetrics(
  transport: StatsdTransport,
  intervalMs: number,
  extra: () => void,
): () => void {
  // 20 ms resolution: finer sampling costs a timer wake-up each time and the graph is about
  // stalls of tens of milliseconds and more.
  const delay = monitorEventLoopDelay({ resolution: 20 })
  delay.enable()
  let gcPauseMs = 0
  let gcCount = 0
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauseMs += entry.duration
      gcCount++
    }
  })
  gcObserver.observe({ entryTypes: ['gc'] })
  const sample = () =>
    safeExecute('stats.process', () => {
      if (delay.count > 0) {
        transport.gauge(ProcessMetric.eventLoopDelayMean, round(delay.mean / NS_PER_MS))
        transport.gauge(ProcessMetric.eventLoopDelayP99, round(delay.percentile(99) / NS_PER_MS))
        transport.gauge(ProcessMetric.eventLoopDelayMax, round(delay.max / NS_PER_MS))
      }
      delay.reset()
      const memory = process.memoryUsage()
      transport.gauge(ProcessMetric.heapUsed, memory.heapUsed)
      transport.gauge(ProcessMetric.heapTotal, memory.heapTotal)
      transport.gauge(ProcessMetric.rss, memory.rss)
      transport.gauge(ProcessMetric.external, memory.external)
      transport.gauge(ProcessMetric.gcPause, round(gcPauseMs))
      transport.gauge(ProcessMetric.gcCount, gcCount)
      gcPauseMs = 0
      gcCount = 0
      extra()
    })
  const timer = setInterval(sample, intervalMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    delay.disable()
    gcObserver.disconnect()
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
