/**
 * A statsd backend (CommonJS: statsd `require()`s its backends) that appends each flush to a
 * file in Graphite's plaintext format — the lines a Graphite backend would send to carbon —
 * and tells the parent over IPC when the daemon has seen its first packet.
 */
import fs = require('node:fs')
import type { EventEmitter } from 'node:events'

interface FlushMetrics {
  counters: Record<string, number>
  gauges: Record<string, number>
  timer_data: Record<string, Record<string, number>>
}

/** statsd's own bookkeeping metrics; the demo shows what the app sent. */
const OWN_METRIC = /^statsd\./

function graphiteLines(timestamp: number, metrics: FlushMetrics): string[] {
  const lines: string[] = []
  for (const [key, value] of Object.entries(metrics.counters)) {
    if (!OWN_METRIC.test(key)) lines.push(`stats.counters.${key}.count ${value} ${timestamp}`)
  }
  for (const [key, value] of Object.entries(metrics.gauges)) {
    if (!OWN_METRIC.test(key)) lines.push(`stats.gauges.${key} ${value} ${timestamp}`)
  }
  for (const [key, data] of Object.entries(metrics.timer_data)) {
    if (OWN_METRIC.test(key)) continue
    for (const field of ['count', 'mean', 'upper_90', 'upper']) {
      const value = data[field]
      if (typeof value === 'number') lines.push(`stats.timers.${key}.${field} ${Math.round(value * 100) / 100} ${timestamp}`)
    }
  }
  return lines
}

function init(_startupTime: number, config: { demoFlushLog?: string }, events: EventEmitter): boolean {
  const path = config.demoFlushLog
  let announced = false
  events.on('packet', () => {
    if (announced) return
    announced = true
    if (process.connected) process.send?.({ type: 'ready' })
  })
  events.on('flush', (timestamp: number, metrics: FlushMetrics) => {
    const lines = graphiteLines(timestamp, metrics)
    if (path !== undefined && lines.length > 0) fs.appendFileSync(path, `${lines.join('\n')}\n`)
  })
  return true
}

module.exports = { init }
