import { randomBytes } from 'node:crypto'

// 144 random bits: unguessable, and a multiple of 6 bits so base64url has no padding.
const ID_BYTES = 18
const ID_PATTERN = /^[A-Za-z0-9_-]{24}$/

/** A new job/result id: 24 base64url characters, 144 bits from the CSPRNG. */
export function newResultId(): string {
  return randomBytes(ID_BYTES).toString('base64url')
}

/** True only for strings that {@link newResultId} could have produced. */
export function isResultId(value: string): boolean {
  return ID_PATTERN.test(value)
}
