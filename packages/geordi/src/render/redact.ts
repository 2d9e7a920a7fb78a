import { REDACTED, type RedactOptions, secretKeyMatcher } from '@intro/core'
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

/** Builds the secret-name predicate once per report. */
export function reportSecretMatcher(options: ReportRedactOptions = {}): Matcher {
  return options.enabled === false ? () => false : secretKeyMatcher(options)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

// Unlike core's redactUrl (which re-serialises through `URL`, so `[redacted]` prints as
// `%5Bredacted%5D`), this keeps the URL exactly as written apart from the hidden values,
// which is what a reader of the PDF wants; it also cleans up a URL core already redacted.
/** Hides secret query parameter values and the password of `user:password@host`. */
export function redactReportUrl(url: string, isSecret: Matcher): string {
  const withoutPassword = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^/@?#]*@/i, (match, prefix: string) =>
    isSecret('password') ? `${prefix}:${REDACTED}@` : match,
  )
  const hashAt = withoutPassword.indexOf('#')
  const beforeHash = hashAt >= 0 ? withoutPassword.slice(0, hashAt) : withoutPassword
  const hash = hashAt >= 0 ? withoutPassword.slice(hashAt) : ''
  const queryAt = beforeHash.indexOf('?')
  if (queryAt < 0) return withoutPassword
  const query = beforeHash
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=')
      const name = equals >= 0 ? pair.slice(0, equals) : pair
      return equals >= 0 && isSecret(safeDecode(name)) ? `${name}=${REDACTED}` : pair
    })
    .join('&')
  return `${beforeHash.slice(0, queryAt)}?${query}${hash}`
}

/** Header values as printable strings (arrays joined with `, `), secrets replaced. */
export function redactReportHeaders(headers: HeaderValues = {}, isSecret: Matcher): [string, string][] {
  const rows: [string, string][] = []
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    const lower = name.toLowerCase()
    if (isSecret(lower)) rows.push([name, REDACTED])
    else if (lower === 'referer' || lower === 'location') rows.push([name, redactReportUrl(text, isSecret)])
    else rows.push([name, text])
  }
  return rows
}
