import { onOperation } from '@intro/core'
import { statementKind } from './metric-names.js'
import type { StatsdTransport } from './statsd-transport.js'

/** Timer names written for operations (documented in docs/stats.md). */
export const OperationMetric = {
  sql: 'sql',
  sqlErrors: 'sql.errors',
  httpClient: 'http_client',
  httpClientErrors: 'http_client.errors',
  other: 'operations',
} as const

/** Kind used by `Stats.time()`, which records its own timer. */
export const TIMER_KIND = 'timer'

/** Records a timer for every operation that ends (SQL by statement kind, HTTP by host). */
export function subscribeOperationMetrics(transport: StatsdTransport): () => void {
  return onOperation({
    end(operation, info) {
      const kind = operation.kind
      if (kind === 'sql') {
        const statement = attribute(operation.attributes.statement) ?? statementKind(operation.description)
        transport.recordTiming(OperationMetric.sql, info.durationMs, { statement })
        if (info.error !== undefined) transport.recordCount(OperationMetric.sqlErrors, 1, { statement })
      } else if (kind === 'http') {
        const host = attribute(operation.attributes.host) ?? 'unknown'
        transport.recordTiming(OperationMetric.httpClient, info.durationMs, { host })
        if (info.error !== undefined) transport.recordCount(OperationMetric.httpClientErrors, 1, { host })
      } else if (kind !== TIMER_KIND) {
        transport.recordTiming(OperationMetric.other, info.durationMs, { kind })
      }
    },
  })
}

function attribute(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
