import { randomBytes } from 'node:crypto'

const HEX32 = /^[0-9a-f]{32}$/
const ZERO_TRACE = '0'.repeat(32)

/**
 * The W3C trace id for a correlation id: a UUID without its dashes, or a 32-hex id as is;
 * `undefined` for any other id (then only `X-Request-ID` is sent).
 */
export function traceIdFor(id: string): string | undefined {
  const hex = id.length === 36 ? id.replaceAll('-', '').toLowerCase() : id.toLowerCase()
  return HEX32.test(hex) && hex !== ZERO_TRACE ? hex : undefined
}

// 8 random bytes per span id would be a syscall-backed call per request; a pool refilled
// every 512 ids keeps it to a slice.
let pool = Buffer.alloc(0)
let offset = 0

function spanId(): string {
  if (offset + 8 > pool.length) {
    pool = randomBytes(4096)
    offset = 0
  }
  const id = pool.toString('hex', offset, offset + 8)
  offset += 8
  return id === '0000000000000000' ? '0000000000000001' : id
}

/** A `traceparent` header continuing the correlation id, or `undefined` when it is no trace id. */
export function traceparentFor(id: string): string | undefined {
  const traceId = traceIdFor(id)
  return traceId === undefined ? undefined : `00-${traceId}-${spanId()}-01`
}
