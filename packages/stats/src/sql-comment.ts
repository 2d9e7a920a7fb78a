import { type RequestContext, getContext, reportDiagnostic } from '@intro/core'

/** Where the comment goes. */
export const SqlCommentPlacement = {
  /** Before the statement: survives truncation of long queries in `pg_stat_activity` and slow logs. */
  prefix: 'prefix',
  /** After the statement, as sqlcommenter's own libraries place it. */
  suffix: 'suffix',
} as const

/** Union of {@link SqlCommentPlacement} values. */
export type SqlCommentPlacement = (typeof SqlCommentPlacement)[keyof typeof SqlCommentPlacement]

/** Options of {@link createSqlCommenter} and the driver instrumentations. */
export interface SqlCommentOptions {
  /**
   * Where the comment goes.
   * @defaultValue `'prefix'`
   */
  placement?: SqlCommentPlacement
  /**
   * Fixed key/values added to every comment, e.g. `{ application: 'shop' }`.
   * @defaultValue `{}`
   */
  static?: Record<string, string>
}

// sqlcommenter's encoding: URL-encode and also the characters encodeURIComponent leaves alone,
// so no value can contain a quote, a star or a slash — nothing can close the comment early.
const NEEDS_MORE = /[!'()*]/g
const SAFE = /^[A-Za-z0-9_.~-]*$/
// encodeURIComponent throws a URIError on these: a job name or argument holding one would make
// the query itself throw.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const REPLACEMENT = '\uFFFD'
const ELLIPSIS = '%E2%80%A6'

/**
 * Longest encoded value in a comment, in characters; longer values are cut at a character
 * boundary and end with an encoded `…`. `pg_stat_activity` keeps only the first 1024 bytes of a
 * query (`track_activity_query_size`): one long job argument must not push the statement out.
 */
export const MAX_SQL_COMMENT_VALUE_LENGTH = 200

function encodeChars(value: string): string {
  return encodeURIComponent(value).replace(NEEDS_MORE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function wellFormed(value: string): string {
  LONE_SURROGATE.lastIndex = 0
  if (!LONE_SURROGATE.test(value)) return value
  reportDiagnostic({
    level: 'warn',
    scope: 'stats.sql-comment',
    message: 'a SQL comment value holds a lone UTF-16 surrogate; it is sent as U+FFFD',
  })
  return value.replace(LONE_SURROGATE, REPLACEMENT)
}

function capped(value: string): string {
  let out = ''
  // for…of walks code points, so a cut never splits a character's UTF-8 bytes
  for (const char of value) {
    const piece = encodeChars(char)
    if (out.length + piece.length > MAX_SQL_COMMENT_VALUE_LENGTH - ELLIPSIS.length) break
    out += piece
  }
  return out + ELLIPSIS
}

/**
 * sqlcommenter's value encoding (URL encoding plus `!'()*`). Never throws: lone surrogates
 * become U+FFFD (and a diagnostic), and values longer than {@link MAX_SQL_COMMENT_VALUE_LENGTH}
 * once encoded are cut.
 */
export function encodeSqlCommentValue(value: string): string {
  const text = typeof value === 'string' ? value : String(value)
  if (SAFE.test(text)) return text.length <= MAX_SQL_COMMENT_VALUE_LENGTH ? text : capped(text)
  const formed = wellFormed(text)
  const encoded = encodeChars(formed)
  return encoded.length <= MAX_SQL_COMMENT_VALUE_LENGTH ? encoded : capped(formed)
}

/** True when `sql` already carries a comment (then it is left untouched). */
export function hasSqlComment(sql: string): boolean {
  return sql.includes('/*') || sql.includes('--')
}

/** Builds the sqlcommenter comment (`/*key='value',…*\/`, sorted keys) for a set of pairs. */
export function formatSqlComment(pairs: Record<string, string | undefined>): string {
  const keys = Object.keys(pairs).sort()
  let body = ''
  for (const key of keys) {
    const value = pairs[key]
    if (value === undefined || value === '') continue
    if (body !== '') body += ','
    body += `${encodeSqlCommentValue(key)}='${encodeSqlCommentValue(value)}'`
  }
  return body === '' ? '' : `/*${body}*/`
}

interface CachedComment {
  route: string | undefined
  comment: string
}

/**
 * Creates a function that adds the current context's comment to a SQL text: inside a request
 * `request_id` and `route`; inside `runWithContext({ name, args })` also `job` and `args` (the
 * talk's `/* manage.py send_subscriptions 1000 *\/`). Outside any context, or when the text
 * already has a comment, the text is returned unchanged.
 *
 * @example
 * ```ts
 * const comment = createSqlCommenter({ placement: 'suffix' })
 * await client.query(comment('SELECT 1'))
 * ```
 */
export function createSqlCommenter(options: SqlCommentOptions = {}): (sql: string) => string {
  const placement = options.placement ?? 'prefix'
  if (placement !== 'prefix' && placement !== 'suffix') {
    throw new TypeError(`Expected \`placement\` to be 'prefix' or 'suffix', got \`${String(placement)}\``)
  }
  const fixed = { ...options.static }
  // The comment of a context changes only when its route becomes known, so it is built once
  // per request, not once per query: per query this is a WeakMap lookup and a concatenation.
  const cache = new WeakMap<RequestContext, CachedComment>()
  const commentFor = (context: RequestContext): string => {
    const route = context.route
    const cached = cache.get(context)
    if (cached !== undefined && cached.route === route) return cached.comment
    const comment = formatSqlComment({
      ...fixed,
      request_id: context.id,
      route,
      job: context.name,
      args: context.args === undefined || context.args.length === 0 ? undefined : context.args.join(' '),
    })
    cache.set(context, { route, comment })
    return comment
  }
  const safeCommentFor = (context: RequestContext): string => {
    try {
      return commentFor(context)
    } catch (error) {
      // A comment is never worth a failed query: the statement goes out as the app wrote it.
      reportDiagnostic({ level: 'warn', scope: 'stats.sql-comment', message: 'building the SQL comment failed', error })
      return ''
    }
  }
  return (sql: string): string => {
    if (typeof sql !== 'string' || sql.length === 0) return sql
    const context = getContext()
    if (context === undefined || hasSqlComment(sql)) return sql
    const comment = safeCommentFor(context)
    if (comment === '') return sql
    return placement === 'prefix' ? `${comment} ${sql}` : `${sql} ${comment}`
  }
}

/**
 * Adds the current request's (or job's) sqlcommenter comment to `sql`, as a prefix.
 *
 * @example
 * ```ts
 * db.exec(commentSql('SELECT * FROM orders WHERE id = ?'), [id])
 * // → /*request_id='5f0c…',route='%2Forders%2F%3Aid'*\/ SELECT * FROM orders WHERE id = ?
 * ```
 */
export const commentSql: (sql: string) => string = createSqlCommenter()
