import type { LifecycleHooks } from '@intro/core'
import { graphiteKey, statusClass } from './metric-names.js'
import type { StatsdTransport } from './statsd-transport.js'

/** Metric names written by the request hooks (documented in docs/stats.md). */
export const RequestMetric = {
  duration: 'http.request',
  status: 'http.response',
  aborted: 'http.aborted',
  inFlight: 'http.in_flight',
} as const

// Requests without a matched route (404s, static files) share one name: the raw path would
// create one Graphite series per URL ever requested.
const UNMATCHED = 'unmatched'

/** Request metrics state: the hooks and the current in-flight count. */
export interface RequestMetrics {
  readonly hooks: LifecycleHooks
  inFlight(): number
}

// Sanitising route, method and status class into a Graphite key costs ~0.4 µs; the set of
// (route, method, class) triples and of status codes an app serves is small, so keys are built
// once. Graphite-mode metrics then go to the transport's aggregator under those keys. The cap keeps
// an app with unbounded route names (a bug elsewhere) from growing the cache forever.
const MAX_CACHED_KEYS = 5000

/** Builds lifecycle hooks that time requests by route template, method and status class. */
export function createRequestMetrics(transport: StatsdTransport): RequestMetrics {
  let inFlight = 0
  // route → method → status class → key: nested maps of strings the request already holds,
  // where one concatenated cache key would be a new string to hash on every request.
  const timerKeys = new Map<string, Map<string, Map<string, string>>>()
  let cachedTimerKeys = 0
  const timerKey = (route: string, method: string, statusClassName: string): string => {
    let byMethod = timerKeys.get(route)
    if (byMethod === undefined) {
      byMethod = new Map()
      if (cachedTimerKeys < MAX_CACHED_KEYS) timerKeys.set(route, byMethod)
    }
    let byClass = byMethod.get(method)
    if (byClass === undefined) {
      byClass = new Map()
      byMethod.set(method, byClass)
    }
    let key = byClass.get(statusClassName)
    if (key === undefined) {
      key = graphiteKey(RequestMetric.duration, { route, method, status_class: statusClassName })
      if (cachedTimerKeys < MAX_CACHED_KEYS) {
        byClass.set(statusClassName, key)
        cachedTimerKeys++
      }
    }
    return key
  }
  const statusKeys = new Map<number, string>()
  const record = (route: string, method: string, statusClassName: string, durationMs: number) => {
    if (transport.tagged) transport.timing(RequestMetric.duration, durationMs, { route, method, status_class: statusClassName })
    else transport.timingKey(timerKey(route, method, statusClassName), durationMs)
  }
  const countStatus = (statusCode: number) => {
    if (transport.tagged) {
      transport.increment(RequestMetric.status, 1, { status_code: statusCode })
      return
    }
    let key = statusKeys.get(statusCode)
    if (key === undefined) {
      key = graphiteKey(RequestMetric.status, { status_code: statusCode })
      if (statusKeys.size < MAX_CACHED_KEYS) statusKeys.set(statusCode, key)
    }
    transport.countKey(key, 1)
  }
  const hooks: LifecycleHooks = {
    // The hooks use the context they are given: settling need not enter it.
    runInContext: false,
    onStart() {
      inFlight++
    },
    onFinish(context, info) {
      inFlight = Math.max(0, inFlight - 1)
      record(context.route ?? UNMATCHED, context.method ?? 'OTHER', statusClass(info.statusCode), info.durationMs)
      countStatus(info.statusCode)
    },
    onAbort(context, info) {
      inFlight = Math.max(0, inFlight - 1)
      record(context.route ?? UNMATCHED, context.method ?? 'OTHER', 'aborted', info.durationMs)
      if (transport.tagged) transport.increment(RequestMetric.aborted, 1)
      else transport.countKey(RequestMetric.aborted, 1)
    },
  }
  return { hooks, inFlight: () => inFlight }
}
