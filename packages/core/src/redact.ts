/**
 * Secret redaction shared by every report the toolkit writes (dogslow reports, geordi PDFs,
 * error pages, job payload logs).
 */

/** Replacement text for a redacted value. */
export const REDACTED = '[redacted]'

/** Default pattern of header, query parameter and variable names whose values are secrets. */
export const DEFAULT_SECRET_KEYS =
  /authorization|cookie|passw(or)?d|passwd|pwd|secret|token|api[-_]?key|apikey|session|credential|private[-_]?key|signature/i

/** Options for the redaction helpers. */
export interface RedactOptions {
  /**
   * Names whose values are secrets. Extends the default unless `replaceDefaults` is set.
   * @defaultValue {@link DEFAULT_SECRET_KEYS}
   */
  keys?: RegExp | readonly string[]
  /** Use only `keys`, not the defaults. */
  replaceDefaults?: boolean
}

/** Builds a predicate for secret names once, so hot callers do not rebuild it. */
export function secretKeyMatcher(options: RedactOptions = {}): (name: string) => boolean {
  const extra = options.keys
  const custom =
    extra === undefined
      ? undefined
      : extra instanceof RegExp
        ? extra
        : new RegExp(extra.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') || '(?!)', 'i')
  if (options.replaceDefaults) return (name) => custom?.test(name) ?? false
  return (name) => DEFAULT_SECRET_KEYS.test(name) || (custom?.test(name) ?? false)
}

const defaultMatcher = secretKeyMatcher()

/** Returns a copy of `headers` with secret values replaced by `[redacted]`. */
export function redactHeaders<T extends Record<string, unknown>>(
  headers: T,
  isSecret: (name: string) => boolean = defaultMatcher,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = isSecret(name) ? REDACTED : value
  return out
}

/** Redacts userinfo passwords and secret query parameters of a URL; other text is returned as is. */
export function redactUrl(url: string, isSecret: (name: string) => boolean = defaultMatcher): string {
  let parsed: URL
  try {
    parsed = new URL(url, 'http://placeholder.invalid')
  } catch {
    return url
  }
  let changed = false
  if (parsed.password) {
    parsed.password = 'redacted'
    changed = true
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (isSecret(name)) {
      parsed.searchParams.set(name, REDACTED)
      changed = true
    }
  }
  if (!changed) return url
  const text = parsed.toString()
  return parsed.origin === 'http://placeholder.invalid' ? text.slice('http://placeholder.invalid'.length) : text
}

/**
 * Returns a deep copy of `value` with secret-named properties replaced, bounded in depth
 * (deeper values become `'[…]'`) and safe on cycles.
 */
export function redactValue(value: unknown, isSecret: (name: string) => boolean = defaultMatcher, maxDepth = 6): unknown {
  const seen = new WeakSet<object>()
  const walk = (item: unknown, depth: number): unknown => {
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
