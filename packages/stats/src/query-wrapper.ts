import { startOperation } from '@intro/core'
import { statementKind } from './metric-names.js'
import { type SqlCommentOptions, createSqlCommenter } from './sql-comment.js'

/** Options of {@link wrapQuery}. */
export interface WrapQueryOptions extends SqlCommentOptions {
  /**
   * Add the sqlcommenter comment to the SQL text.
   * @defaultValue `true`
   */
  comment?: boolean
  /**
   * Database name shown in operations (`attributes.db`).
   * @defaultValue `'sql'`
   */
  db?: string
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown

/** Extracts the SQL text of a query argument: a string, or an object's `text` / `sql`. */
export function sqlTextOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg
  if (typeof arg === 'object' && arg !== null) {
    const record = arg as { text?: unknown; sql?: unknown }
    if (typeof record.text === 'string') return record.text
    if (typeof record.sql === 'string') return record.sql
  }
  return undefined
}

/** Settles an operation when a query finishes, however the driver reports it. */
export function settleWith(
  result: unknown,
  end: (error?: unknown) => void,
): void {
  if (result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as Promise<unknown>).then === 'function')) {
    ;(result as Promise<unknown>).then(
      () => end(),
      (error: unknown) => end(error),
    )
  }
}

/**
 * Wraps the query function of any driver: the first argument's SQL text (a string, or an
 * object's `text`/`sql`) gets the current context's comment, and the call is recorded as a
 * `sql` operation (so request timers, StatsD timers and the slow-request watchdog see it) until
 * its promise settles or its trailing callback runs.
 *
 * @example
 * ```ts
 * const query = wrapQuery(db.query.bind(db), { db: 'sqlite' })
 * const rows = await query('SELECT * FROM orders')
 * ```
 */
export function wrapQuery<F extends (...args: never[]) => unknown>(fn: F, options: WrapQueryOptions = {}): F {
  if (typeof fn !== 'function') throw new TypeError(`Expected \`fn\` to be a function, got \`${String(fn)}\``)
  const comment = options.comment === false ? undefined : createSqlCommenter(options)
  const db = options.db ?? 'sql'
  const original = fn as unknown as AnyFunction
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const text = sqlTextOf(args[0])
    if (text === undefined) return original.apply(this, args)
    if (comment !== undefined) {
      const commented = comment(text)
      if (commented !== text) {
        args[0] = typeof args[0] === 'string' ? commented : withText(args[0] as object, commented)
      }
    }
    const handle = startOperation({ kind: 'sql', description: text, attributes: { db, statement: statementKind(text) } })
    const last = args.length - 1
    const callback = args[last]
    if (typeof callback === 'function') {
      args[last] = function (this: unknown, error: unknown, ...rest: unknown[]) {
        handle.end(error ?? undefined)
        return (callback as AnyFunction).call(this, error, ...rest)
      }
    }
    let result: unknown
    try {
      result = original.apply(this, args)
    } catch (error) {
      handle.end(error)
      throw error
    }
    if (typeof callback !== 'function') settleWith(result, handle.end)
    return result
  }
  return wrapped as unknown as F
}

function withText(arg: object, commented: string): object {
  const copy: Record<string, unknown> = { ...(arg as Record<string, unknown>) }
  if (typeof copy.text === 'string') copy.text = commented
  else copy.sql = commented
  return copy
}
