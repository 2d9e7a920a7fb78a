import { ErrorCodes } from './errors.js'

/**
 * Validation of options objects and environment variables at construction time.
 * Configuration mistakes are the only errors the toolkit throws into the host app,
 * so each message names the option (or variable) and the value it got.
 */

/**
 * Creates the `TypeError`/`RangeError` for a configuration mistake, with
 * `code: 'ERR_INTRO_INVALID_OPTION'` so callers and tests can branch on the code.
 */
export function invalidOption(kind: typeof TypeError | typeof RangeError, message: string): TypeError & { code: string } {
  const error = new kind(message) as TypeError & { code: string }
  error.code = ErrorCodes.invalidOption
  return error
}

/** Renders a value for an error message without dumping huge objects. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  return Object.prototype.toString.call(value)
}

/** Throws a `RangeError` unless `value` is a finite number > 0 (fractions allowed). */
export function assertPositiveNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw invalidOption(TypeError, `Expected \`${name}\` to be a number, got ${describeValue(value)}`)
  if (!Number.isFinite(value) || value <= 0) {
    throw invalidOption(RangeError, `Expected \`${name}\` to be a positive finite number, got ${describeValue(value)}`)
  }
}

/** Throws a `RangeError` unless `value` is an integer in `[min, max]`. */
export function assertIntegerInRange(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw invalidOption(TypeError, `Expected \`${name}\` to be a number, got ${describeValue(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(RangeError, `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`)
  }
}

/** Throws a `TypeError` unless `value` is undefined or a function. */
export function assertOptionalFunction(name: string, value: unknown): asserts value is Function | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw invalidOption(TypeError, `Expected \`${name}\` to be a function, got ${describeValue(value)}`)
  }
}

type Env = Record<string, string | undefined>

const TRUE = new Set(['1', 'true', 'on', 'yes'])
const FALSE = new Set(['0', 'false', 'off', 'no', ''])

/** Reads an on/off variable (`1/0`, `true/false`, `on/off`, `yes/no`); `undefined` when unset. */
export function envBoolean(env: Env, name: string): boolean | undefined {
  const raw = env[name]
  if (raw === undefined) return undefined
  const value = raw.trim().toLowerCase()
  if (TRUE.has(value)) return true
  if (FALSE.has(value)) return false
  throw invalidOption(RangeError, `Expected environment variable ${name} to be on/off (1/0, true/false), got ${describeValue(raw)}`)
}

/** Reads a positive number (fractions allowed); `undefined` when unset or empty. */
export function envPositiveNumber(env: Env, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    throw invalidOption(RangeError, `Expected environment variable ${name} to be a positive number, got ${describeValue(raw)}`)
  }
  return value
}

/** Reads an integer port (1–65535); `undefined` when unset or empty. */
export function envPort(env: Env, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalidOption(RangeError, `Expected environment variable ${name} to be a port from 1 to 65535, got ${describeValue(raw)}`)
  }
  return value
}

/** Reads a string; `undefined` when unset or blank. */
export function envString(env: Env, name: string): string | undefined {
  const raw = env[name]
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim()
}

/** Reads a list separated by commas or whitespace; `undefined` when unset or blank. */
export function envList(env: Env, name: string): string[] | undefined {
  const raw = envString(env, name)
  return raw === undefined ? undefined : raw.split(/[\s,]+/).filter(Boolean)
}
