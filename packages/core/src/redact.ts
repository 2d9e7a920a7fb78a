/**
 * Secret redaction shared by every report the toolkit writes (dogslow reports, geordi PDFs,
 * status files and error pages, stats' operation descriptions).
 */
import { redactUrl } from './redact-url.js'
import { REDACTED, defaultSecretMatcher as defaultMatcher } from './secret-keys.js'

// Credentials by shape, whatever the header or variable is called (`X-Custom-Auth: Bearer …`):
// an HTTP auth scheme followed by a token, or a JSON Web Token (three base64url parts, the first
// one a JSON object, so it starts with `eyJ`).
const AUTH_SCHEME = /^\s*(?:bearer|basic|digest|token|negotiate|ntlm|hoba|mutual|apikey|aws4-hmac-sha256)\s+\S/i
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/

/** Whether `value` looks like a credential by its shape: `Bearer …`/`Basic …` tokens, JWTs. */
export function looksLikeCredential(value: string): boolean {
  return AUTH_SCHEME.test(value) || JWT.test(value)
}

// Headers whose values are URLs, which may carry `?token=` or `user:password@`.
const URL_HEADERS = /^(?:referer|referrer|location|content-location|origin|x-original-url|x-rewrite-url|x-forwarded-uri)$/i

/**
 * Redacts one header value: by the header's name (`authorization`, `x-api-key`, …), by the
 * value's shape (a `Bearer` token under any name), and the secrets inside URL-valued headers.
 */
export function redactHeaderValue(name: string, value: string, isSecret: (name: string) => boolean = defaultMatcher): string {
  if (isSecret(name) || looksLikeCredential(value)) return REDACTED
  return URL_HEADERS.test(name) ? redactUrl(value, isSecret) : value
}

/** Returns a copy of `headers` with secret values replaced by `[redacted]`, by name and by shape. */
export function redactHeaders<T extends Record<string, unknown>>(
  headers: T,
  isSecret: (name: string) => boolean = defaultMatcher,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (isSecret(name)) out[name] = REDACTED
    else if (typeof value === 'string') out[name] = redactHeaderValue(name, value, isSecret)
    else if (Array.isArray(value)) out[name] = value.map((item) => (typeof item === 'string' ? redactHeaderValue(name, item, isSecret) : item))
    else out[name] = value
  }
  return out
}

/**
 * Redacts a string found anywhere (a local variable, an operation description, a log field):
 * a credential-shaped value becomes `[redacted]`, URLs inside it lose passwords and secret
 * query parameters.
 */
export function redactText(text: string, isSecret: (name: string) => boolean = defaultMatcher): string {
  if (AUTH_SCHEME.test(text)) return REDACTED
  let out = JWT.test(text) ? text.replace(new RegExp(JWT.source, 'g'), REDACTED) : text
  if (/^\/[^\s?]*\?/.test(out)) return redactUrl(out, isSecret)
  if (out.includes('://')) out = out.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, (url) => redactUrl(url, isSecret))
  return out
}

/**
 * Returns a deep copy of `value` with secret-named properties and credential-shaped strings
 * replaced, bounded in depth
 * (deeper values become `'[…]'`) and safe on cycles.
 */
export function redactValue(value: unknown, isSecret: (name: string) => boolean = defaultMatcher, maxDepth = 6): unknown {
  const seen = new WeakSet<object>()
  const walk = (item: unknown, depth: number): unknown => {
    if (typeof item === 'string') return looksLikeCredential(item) ? REDACTED : item
    if (item === null || typeof item !== 'object') return item
    if (seen.has(item)) return '[circular]'
    if (depth >= maxDepth) return '[…]'
    seen.add(item)
    if (Array.isArray(item)) return item.map((entry) => walk(entry, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(item)) out[key] = isSecret(key) ? REDACTED : walk(entry, depth + 1)
    return out
  }
  return walk(value, 0)
}
