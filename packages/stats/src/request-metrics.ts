import type { LifecycleHooks } from '@intro/core'
import { statusClass } from './metric-names.js'
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

/** Builds lifecycle hooks that time requests by route template, method and status class. */
export function createRequestMetrics(transport: StatsdTransport): RequestMetrics {
  let inFlight = 0
  const hooks: LifecycleHooks = {
    onStart() {
      inFlight++
    },
    onFinish(context, info) {
      inFlight = Math.max(0, inFlight - 1)
      const route = context.route ?? UNMATCHED
      const method = context.method ?? 'OTHER'
      transport.timing(RequestMetric.duration, info.durationMs, {
        route,
        method,
        status_class: statusClass(info.statusCode),
      })
      transport.increment(RequestMetric.status, 1, { status_code: info.statusCode })
    },
    onAbort(context, info) {
      inFlight = Math.max(0, inFlight - 1)
      transport.timing(RequestMetric.duration, info.durationMs, {
        route: context.route ?? UNMATCHED,
        method: context.method ?? 'OTHER',
        status_class: 'aborted',
      })
      transport.increment(RequestMetric.aborted, 1)
    },
  }
  return { hooks, inFlight: () => inFlight }
}
