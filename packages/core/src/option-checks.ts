import { describeValue, invalidOption } from './options.js'

/**
 * Typed checkers for options objects, shared by every factory of the toolkit so each option is
 * checked the same way everywhere (before, four packages wrote their own copies, and they had
 * drifted: one accepted timeouts Node cannot schedule, another a metric prefix with a newline).
 * Each checker returns the value, or the fallback when it is `undefined`, and otherwise throws
 * a `TypeError`/`RangeError` with `code: 'ERR_INTRO_INVALID_OPTION'` naming the option and the
 * value.
 */

/** Longest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

// Control characters (CR, LF, NUL, …) turn a name into two lines of a wire protocol, a log or a
// header.
const CONTROL = /[\u0000-\u001f\u007f]/

/** Bounds of a number option. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive). @defaultValue above 0 (exclusive) */
  min?: number
  /** Largest allowed value (inclusive). @defaultValue `Number.MAX_SAFE_INTEGER` */
  max?: number
  /** Only whole numbers. @defaultValue false */
  integer?: boolean
}

/** A finite number within `bounds` (by default: above 0). */
export function checkNumber(name: string, value: unknown, bounds: NumberBounds = {}): number {
  if (typeof value !== 'number') throw invalidOption(TypeError, `Expected \`${name}\` to be a number, got ${describeValue(value)}`)
  const { min, max = Number.MAX_SAFE_INTEGER, integer = false } = bounds
  const low = min === undefined ? value > 0 : value >= min
  if (!Number.isFinite(value) || !low || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number'
    const range = min === undefined ? `above 0 and at most ${max}` : `from ${min} to ${max}`
    throw invalidOption(RangeError, `Expected \`${name}\` to be ${kind} ${range}, got ${describeValue(value)}`)
  }
  return value
}

/** A whole number of milliseconds from `min` (1) to {@link MAX_TIMER_MS}: something a timer can wait for. */
export function checkDurationMs(name: string, value: unknown, min = 1): number {
  return checkNumber(name, value, { min, max: MAX_TIMER_MS, integer: true })
}

/** An integer from `min` to `max`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  return checkNumber(name, value, { min, max, integer: true })
}

/** `true` or `false`. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidOption(TypeError, `Expected \`${name}\` to be a boolean, got ${describeValue(value)}`)
  return value
}

/** What a string option may hold. */
export interface StringRules {
  /** Allow `''`. @defaultValue false */
  allowEmpty?: boolean
  /** Longest allowed length. @defaultValue 1024 */
  maxLength?: number
  /** Characters that are refused on top of control characters, e.g. `/[:|@#]/`. */
  forbidden?: RegExp
  /** Describes the forbidden characters in the error message. */
  forbiddenDescription?: string
}

/** A string without control characters (CR/LF could forge log lines, datagrams or headers). */
export function checkString(name: string, value: unknown, rules: StringRules = {}): string {
  if (typeof value !== 'string') throw invalidOption(TypeError, `Expected \`${name}\` to be a string, got ${describeValue(value)}`)
  const { allowEmpty = false, maxLength = 1024, forbidden, forbiddenDescription } = rules
  if (!allowEmpty && value === '') throw invalidOption(TypeError, `Expected \`${name}\` to be a non-empty string, got ""`)
  if (value.length > maxLength) throw invalidOption(RangeError, `Expected \`${name}\` to be at most ${maxLength} characters, got ${describeValue(value)}`)
  if (CONTROL.test(value)) throw invalidOption(TypeError, `Expected \`${name}\` to hold no control characters (CR, LF, …), got ${describeValue(value)}`)
  if (forbidden?.test(value)) {
    throw invalidOption(TypeError, `Expected \`${name}\` to hold no ${forbiddenDescription ?? `characters matching ${forbidden}`}, got ${describeValue(value)}`)
  }
  return value
}

/** One of `values`. */
export function checkEnum<const T extends string>(name: string, value: unknown, values: readonly T[]): T {
  if (typeof value !== 'string' || !values.includes(value as T)) {
    throw invalidOption(RangeError, `Expected \`${name}\` to be one of ${values.map((v) => `'${v}'`).join(', ')}, got ${describeValue(value)}`)
  }
  return value as T
}

/** A function. */
export function checkFunction<T extends Function>(name: string, value: unknown): T {
  if (typeof value !== 'function') throw invalidOption(TypeError, `Expected \`${name}\` to be a function, got ${describeValue(value)}`)
  return value as T
}

/** A plain object (not `null`, not an array). */
export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOption(TypeError, `Expected \`${name}\` to be an object, got ${describeValue(value)}`)
  }
  return value as Record<string, unknown>
}

/** Runs `check` unless `value` is `undefined`, in which case `fallback` is returned. */
export function optional<T, F = undefined>(value: unknown, check: (value: unknown) => T, fallback?: F): T | F {
  return value === undefined ? (fallback as F) : check(value)
}
