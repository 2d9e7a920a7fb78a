import type { HeaderValues, RedactOptions } from './types.js'

// TODO(core): switch to core's `redact` once @intro/core exports it; same defaults.

/** What replaces a secret in reports. */
export const REDACTED = '[redacted]'

/** Header names containing one of these (case-insensitive) are hidden by default. */
export const defaultRedactedHeaders: readonly string[] = Object.freeze([
  'authorization',
  'cookie',
  'api-key',
  'apikey',
  'token',
  'secret',
  'password',
  'session',
])

/** Query parameter names containing one of these (case-insensitive) are hidden by default. */
export const defaultRedactedQueryParams: readonly string[] = Object.freeze([
  'token',
  'password',
  'passwd',
  'pwd',
  'secret',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'signature',
  'auth',
  'session',
  'credential',
  'code',
])

const matcher = (needles: readonly string[]) => {
  const lower = needles.map((needle) => needle.toLowerCase())
  return (name: string) => {
    const candidate = name.toLowerCase()
    return lower.some((needle) => candidate.includes(needle))
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

/**
 * Hides secret query parameter values and the password of `user:password@host` in a URL
 * or path, keeping everything else as written.
 *
 * @example
 * ```ts
 * redactUrl('/export?token=abc&page=2') // '/export?token=[redacted]&page=2'
 * ```
 */
export function redactUrl(url: string, options: RedactOptions = {}): string {
  if (options.enabled === false) return url
  const isSecret = matcher(options.queryParams ?? defaultRedactedQueryParams)
  const withoutPassword = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^/@?#]*@/i, `$1:${REDACTED}@`)
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

/**
 * Returns the headers as `name: value` strings (arrays joined with `, `), secret values
 * replaced with `[redacted]`.
 *
 * @example
 * ```ts
 * redactHeaders({ cookie: 'sid=1', accept: '*\/*' }) // { cookie: '[redacted]', accept: '*\/*' }
 * ```
 */
export function redactHeaders(headers: HeaderValues = {}, options: RedactOptions = {}): Record<string, string> {
  const isSecret = matcher(options.headers ?? defaultRedactedHeaders)
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    if (options.enabled !== false && isSecret(name)) result[name] = REDACTED
    else if (name.toLowerCase() === 'referer' || name.toLowerCase() === 'location') result[name] = redactUrl(text, options)
    else result[name] = text
  }
  return result
}
