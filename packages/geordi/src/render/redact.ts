import { type RedactOptions, redactHeaderValue, redactUrl, secretKeyMatcher } from '@intro/core'
import type { HeaderValues } from './types.js'

/**
 * What to hide from a report: core's secret names (authorization, cookie, token, password,
 * secret, api key, session...), extended or replaced through `keys`.
 */
export interface ReportRedactOptions extends RedactOptions {
  /** Set to `false` to print every header and query parameter as is. @defaultValue true */
  enabled?: boolean
}

type Matcher = (name: string) => boolean

// `enabled: false` prints everything as is, value-shaped credentials included.
const NOTHING_IS_SECRET: Matcher = () => false

/** Builds the secret-name predicate once per report. */
export function reportSecretMatcher(options: ReportRedactOptions = {}): Matcher {
  return options.enabled === false ? NOTHING_IS_SECRET : secretKeyMatcher(options)
}

/** Hides secret query parameter values and the password of `user:password@host` (core's rules). */
export function redactReportUrl(url: string, isSecret: Matcher): string {
  return isSecret === NOTHING_IS_SECRET ? url : redactUrl(url, isSecret)
}

/**
 * Header values as printable strings (arrays joined with `, `), secrets replaced by name and by
 * shape (a `Bearer …` token or a JWT under any header name).
 */
export function redactReportHeaders(headers: HeaderValues = {}, isSecret: Matcher): [string, string][] {
  const rows: [string, string][] = []
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    rows.push([name, isSecret === NOTHING_IS_SECRET ? text : redactHeaderValue(name.toLowerCase(), text, isSecret)])
  }
  return rows
}
