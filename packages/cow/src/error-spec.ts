import { describeValue, invalidOption } from '@intro/core'
import { TimeoutError } from './errors.js'
import type { ErrorClass, ErrorSpec } from './types.js'

/** Builds the error thrown past a deadline. */
export type MakeError = (timeoutMs: number) => Error

// setTimeout's own ceiling; a longer limit would silently become 1 ms there.
const MAX_TIMEOUT_MS = 2_147_483_647

/** Validates a time limit: a finite number of milliseconds > 0, fractions allowed. */
export function assertTimeoutMs(name: string, ms: unknown): asserts ms is number {
  if (typeof ms !== 'number') throw invalidOption(TypeError, `Expected \`${name}\` to be a number of milliseconds, got ${describeValue(ms)}`)
  if (!(ms > 0) || ms > MAX_TIMEOUT_MS) {
    throw invalidOption(RangeError, `Expected \`${name}\` to be a number of milliseconds > 0 and ≤ ${MAX_TIMEOUT_MS}, got ${describeValue(ms)}`)
  }
}

/** True for `Error` itself and every class whose prototype chain reaches `Error.prototype`. */
export function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error)
}

function message(timeoutMs: number): string {
  return `Timed out after ${timeoutMs} ms`
}

const defaultError: MakeError = (timeoutMs) => new TimeoutError(message(timeoutMs), { timeoutMs })

/**
 * Turns what the caller passed as `Err` into a function building the error, deciding once
 * (class, factory or instance) so that a timeout does not re-inspect it.
 */
export function compileErrorSpec(name: string, spec: ErrorSpec | undefined): MakeError {
  if (spec === undefined) return defaultError
  if (isErrorClass(spec)) return (timeoutMs) => new spec(message(timeoutMs))
  if (typeof spec === 'function') {
    return (timeoutMs) => {
      const made: unknown = (spec as (info: { timeoutMs: number }) => unknown)({ timeoutMs })
      // A factory that returns something else must still leave the caller with an error.
      return made instanceof Error ? made : new TimeoutError(message(timeoutMs), { timeoutMs, cause: made })
    }
  }
  if (spec instanceof Error) return () => spec
  throw invalidOption(TypeError, `Expected \`${name}\` to be an error class, a function returning an error or an error instance, got ${describeValue(spec)}`)
}
