/** Which names hold secrets: the default pattern, extended or replaced by the app. */

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

/** The default predicate, built once. */
export const defaultSecretMatcher = secretKeyMatcher()
