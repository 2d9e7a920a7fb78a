import { REDACTED, defaultSecretMatcher } from './secret-keys.js'

// Works on the text as written, never through `new URL()`: a request target is whatever the
// client sent, and one that does not parse (`Host: x:99999`, `//a b`, a bare `?token=`) must
// lose its secrets all the same. It also keeps the rest of the URL byte for byte, which is what
// a reader of a report wants (`URL` would re-encode `[redacted]` as `%5Bredacted%5D`).

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i
// Query pairs are split on `&` and on `;`, which some servers treat as a separator too: hiding
// one value too many is better than leaking one.
const SEPARATOR = /([&;])/

/** `scheme://user:password@host` → `scheme://user:[redacted]@host` (the last `@` ends the userinfo). */
function redactPassword(url: string): string {
  const scheme = SCHEME.exec(url)
  if (scheme === null) return url
  const start = scheme[0].length
  const slash = url.slice(start).search(/[/?#]/)
  const authority = url.slice(start, slash < 0 ? url.length : start + slash)
  const at = authority.lastIndexOf('@')
  const colon = authority.indexOf(':')
  if (at < 0 || colon < 0 || colon > at) return url
  return `${url.slice(0, start + colon + 1)}${REDACTED}${url.slice(start + at)}`
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

function redactPair(pair: string, isSecret: (name: string) => boolean, looksSecret: (value: string) => boolean): string {
  const equals = pair.indexOf('=')
  if (equals < 0) return pair
  const name = pair.slice(0, equals)
  if (isSecret(safeDecode(name)) || looksSecret(safeDecode(pair.slice(equals + 1)))) return `${name}=${REDACTED}`
  return pair
}

/**
 * Redacts the password of `scheme://user:password@host` and the values of secret query
 * parameters (by name, and by value when it looks like a credential: a JWT, `Bearer …`), in an
 * absolute URL, a path with a query, or a raw request target that no URL parser accepts.
 * Text without secrets is returned unchanged.
 *
 * @example
 * ```ts
 * redactUrl('http://x:99999/login?password=hunter2&next=/') // 'http://x:99999/login?password=[redacted]&next=/'
 * ```
 */
export function redactUrl(
  url: string,
  isSecret: (name: string) => boolean = defaultSecretMatcher,
  looksSecret: (value: string) => boolean = looksLikeQueryCredential,
): string {
  const withoutPassword = redactPassword(url)
  const queryAt = withoutPassword.indexOf('?')
  if (queryAt < 0) return withoutPassword
  const hashAt = withoutPassword.indexOf('#', queryAt)
  const end = hashAt < 0 ? withoutPassword.length : hashAt
  const query = withoutPassword
    .slice(queryAt + 1, end)
    .split(SEPARATOR)
    .map((part) => (part === '&' || part === ';' ? part : redactPair(part, isSecret, looksSecret)))
    .join('')
  return `${withoutPassword.slice(0, queryAt + 1)}${query}${withoutPassword.slice(end)}`
}

const QUERY_CREDENTIAL = /^(?:bearer|basic)\s+\S|^eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*$/i

function looksLikeQueryCredential(value: string): boolean {
  return QUERY_CREDENTIAL.test(value)
}
