import { randomUUID } from 'node:crypto'

// Inbound ids end up in SQL comments, log lines and response headers, so only a narrow
// charset is accepted: no quotes, slashes, stars, whitespace or control characters.
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/** Creates a fresh correlation id (a random UUID). */
export function createCorrelationId(): string {
  // crypto.randomUUID is ~120 ns here and needs no dependency; the ids are RFC 9562 v4 UUIDs.
  return randomUUID()
}

/** True when `value` is acceptable as an inbound `X-Request-ID`. */
export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value)
}

/** Returns the trace id of a valid W3C `traceparent` header, or `undefined`. */
export function traceIdFromTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 55) return undefined
  const match = TRACEPARENT.exec(value)
  if (match === null) return undefined
  const [, version, traceId, spanId] = match
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  return traceId
}

/**
 * Derives a W3C trace id (32 lowercase hex) from a correlation id, so outbound `traceparent`
 * headers carry the same id: a UUID loses its dashes, a 32-hex id is kept, anything else gives
 * `undefined` (the caller then sends only `X-Request-ID`).
 */
export function traceIdFromCorrelationId(id: string): string | undefined {
  const hex = id.replaceAll('-', '').toLowerCase()
  return /^[0-9a-f]{32}$/.test(hex) && hex !== ZERO_TRACE ? hex : undefined
}

/** Input headers for {@link resolveInboundId}. */
export type InboundIdHeaders = Record<string, string | string[] | undefined>

/**
 * Picks the correlation id for an inbound request: a valid `X-Request-ID`, else the trace id of
 * a valid `traceparent` — only when `trusted` — else a fresh id.
 */
export function resolveInboundId(headers: InboundIdHeaders, trusted: boolean): string {
  if (trusted) {
    const requestId = headers['x-request-id']
    if (isValidRequestId(requestId)) return requestId
    const traceId = traceIdFromTraceparent(headers.traceparent)
    if (traceId !== undefined) return traceId
  }
  return createCorrelationId()
}
