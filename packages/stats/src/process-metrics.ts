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
const LOOP_RESOLUTION_MS = 20

/**
 * The histogram records how long each of its `resolution`-ms timers took to fire, so an idle loop
 * reads the resolution itself (~20 ms), not 0. The gauges report the delay beyond it.
 */
function beyondResolution(ns: number): number {
  return round(Math.max(0, ns / NS_PER_MS - LOOP_RESOLUTION_MS))
}

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
  const delay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
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
        transport.gauge(ProcessMetric.eventLoopDelayMean, beyondResolution(delay.mean))
        transport.gauge(ProcessMetric.eventLoopDelayP99, beyondResolution(delay.percentile(99)))
        transport.gauge(ProcessMetric.eventLoopDelayMax, beyondResolution(delay.max))
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
