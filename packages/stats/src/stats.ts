import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { enableIntegrations, onRequestLifecycle, registerOwnSource, safeExecute, startOperation } from '@intro/core'
import { sanitizeName } from './metric-names.js'
import { warnWithoutRequests } from './adapter-check.js'
import { TIMER_KIND, subscribeOperationMetrics } from './operation-metrics.js'
import { resolveStatsOptions } from './options.js'
import { startProcessMetrics } from './process-metrics.js'
import { RequestMetric, createRequestMetrics } from './request-metrics.js'
import { StatsdTransport } from './statsd-transport.js'
import type { MetricTags, Stats, StatsOptions } from './types.js'

/** Channel the slow-request watchdog publishes its reports on. */
export const DOGSLOW_REPORT_CHANNEL = 'intro:dogslow:report'

/** Counter names outside requests and operations (documented in docs/stats.md). */
export const MiscMetric = {
  exceptions: 'exceptions',
  dogslowReports: 'dogslow.reports',
  timers: 'timers',
} as const

/**
 * Creates a StatsD client (UDP, buffered) and starts the toolkit's metrics: request timers and
 * counters, SQL and outbound HTTP timers, process gauges. A StatsD that is down or cannot be
 * resolved only drops metrics: it never throws into the app or grows memory.
 *
 * @example
 * ```ts
 * const stats = createStats({ prefix: 'shop' })
 * app.use(expressMiddleware())            // core's adapter: request metrics come from here
 * const html = stats.time('render.home', () => render(page))
 * ```
 */
export function createStats(options: StatsOptions = {}): Stats {
  const resolved = resolveStatsOptions(options)
  registerOwnSource(import.meta.url)
  const transport = new StatsdTransport(resolved)
  const requests = createRequestMetrics(transport)
  const stops: Array<() => void> = []
  if (resolved.requests) stops.push(onRequestLifecycle(requests.hooks))
  if (resolved.requests && resolved.requestsWarningMs > 0) {
    const check = warnWithoutRequests(resolved.requestsWarningMs)
    const stopListening = onRequestLifecycle(check.hooks)
    stops.push(() => {
      check.stop()
      stopListening()
    })
  }
  if (resolved.operations) stops.push(subscribeOperationMetrics(transport))
  if (resolved.integrations !== false) stops.push(enableIntegrations(resolved.integrations))
  if (resolved.processIntervalMs > 0) {
    stops.push(
      startProcessMetrics(transport, resolved.processIntervalMs, () =>
        transport.gauge(RequestMetric.inFlight, requests.inFlight()),
      ),
    )
  }
  const recordException = () => transport.increment(MiscMetric.exceptions, 1)
  if (resolved.exceptions) {
    // Without an 'uncaughtException' handler the process exits right after the monitors run,
    // with no further turn of the event loop: a counter left in the buffer would never be sent.
    const onUncaught = () =>
      safeExecute('stats.exception', () => {
        recordException()
        transport.flush()
      })
    process.on('uncaughtExceptionMonitor', onUncaught)
    stops.push(() => process.off('uncaughtExceptionMonitor', onUncaught))
  }
  // A process that ends on its own ('beforeExit') or through process.exit() ('exit') would lose
  // up to flushIntervalMs of metrics otherwise; an empty buffer sends nothing, so 'beforeExit'
  // does not keep the process alive.
  const flush = () => safeExecute('stats.flush', () => transport.flush())
  process.on('beforeExit', flush)
  process.on('exit', flush)
  stops.push(() => {
    process.off('beforeExit', flush)
    process.off('exit', flush)
  })
  if (resolved.dogslowReports) {
    const onReport = () => transport.increment(MiscMetric.dogslowReports, 1)
    diagnosticsChannel.subscribe(DOGSLOW_REPORT_CHANNEL, onReport)
    stops.push(() => diagnosticsChannel.unsubscribe(DOGSLOW_REPORT_CHANNEL, onReport))
  }

  const time = <T>(name: string, fn: () => T, tags?: MetricTags): T => {
    const metric = `${MiscMetric.timers}.${sanitizeName(name)}`
    const handle = startOperation({ kind: TIMER_KIND, description: name })
    const start = performance.now()
    const done = (error?: unknown) => {
      handle.end(error)
      transport.timing(metric, performance.now() - start, tags)
    }
    let result: T
    try {
      result = fn()
    } catch (error) {
      done(error)
      throw error
    }
    if (result instanceof Promise) {
      result.then(
        () => done(),
        (error: unknown) => done(error),
      )
      return result
    }
    done()
    return result
  }

  let closing: Promise<void> | undefined
  return {
    hooks: requests.hooks,
    timing: (name, ms, tags) => safeExecute('stats.timing', () => transport.timing(sanitizeName(name), ms, tags)),
    increment: (name, value = 1, tags) =>
      safeExecute('stats.increment', () => transport.increment(sanitizeName(name), value, tags)),
    gauge: (name, value, tags) => safeExecute('stats.gauge', () => transport.gauge(sanitizeName(name), value, tags)),
    time,
    recordException: () => safeExecute('stats.exception', recordException),
    get dropped() {
      return transport.dropped
    },
    close() {
      if (closing === undefined) {
        for (const stop of stops.splice(0)) safeExecute('stats.close', stop)
        closing = transport.close()
      }
      return closing
    },
  }
}
