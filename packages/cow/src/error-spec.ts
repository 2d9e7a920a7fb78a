import { describeValue, invalidOption, reportDiagnostic } from '@intro/core'
import { TimeoutError } from './errors.js'
import type { ErrorClass, ErrorSpec } from './types.js'

/** Builds the error thrown past a deadline. Never throws. */
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

// A `class` declaration cannot be called without `new`, so as a factory it could only throw
// at the deadline. Its source text is the one reliable mark of class syntax.
function isClassSyntax(value: (...args: never[]) => unknown): boolean {
  return /^class\b/.test(Function.prototype.toString.call(value))
}

function message(timeoutMs: number): string {
  return `Timed out after ${timeoutMs} ms`
}

const defaultError: MakeError = (timeoutMs) => new TimeoutError(message(timeoutMs), { timeoutMs })

// The error is often built inside a timer callback, where a throw would be uncaught and end the
// process: whatever goes wrong, the caller still gets a TimeoutError, with the reason as `cause`.
function guarded(build: (timeoutMs: number) => unknown): MakeError {
  return (timeoutMs) => {
    let made: unknown
    try {
      made = build(timeoutMs)
    } catch (error) {
      reportDiagnostic({ level: 'warn', scope: 'cow.error', message: 'building the timeout error threw; a TimeoutError was thrown instead', error })
      return new TimeoutError(message(timeoutMs), { timeoutMs, cause: error })
    }
    // A factory that returns something else must still leave the caller with an error.
    return made instanceof Error ? made : new TimeoutError(message(timeoutMs), { timeoutMs, cause: made })
  }
}

/**
 * Turns what the caller passed as `Err` into a function building the error, deciding once
 * (class, factory or instance) so that a timeout does not re-inspect it. A class that does not
 * extend `Error`, or any other value, is a `TypeError` here, at the call.
 */
export function compileErrorSpec(name: string, spec: ErrorSpec | undefined): MakeError {
  if (spec === undefined) return defaultError
  if (isErrorClass(spec)) return guarded((timeoutMs) => new spec(message(timeoutMs)))
  if (typeof spec === 'function') {
    if (isClassSyntax(spec)) {
      throw invalidOption(TypeError, `Expected \`${name}\` to be a class extending Error, got class ${spec.name || '(anonymous)'}`)
    }
    return guarded((timeoutMs) => (spec as (info: { timeoutMs: number }) => unknown)({ timeoutMs }))
  }
  if (spec instanceof Error) return () => spec
  throw invalidOption(TypeError, `Expected \`${name}\` to be an error class, a function returning an error or an error instance, got ${describeValue(spec)}`)
}
