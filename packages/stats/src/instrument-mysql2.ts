import { addSqlRewriter, instrumentMysql2 as coreMysql2, recordOperations } from '@intro/core'
import { StatsError, StatsErrorCode } from './errors.js'
import { type SqlCommentOptions, createSqlCommenter } from './sql-comment.js'

/** Options of {@link instrumentMysql2}. */
export interface InstrumentMysql2Options extends SqlCommentOptions {
  /**
   * Add the sqlcommenter comment to `query()` texts.
   * @defaultValue `true`
   */
  comment?: boolean
  /**
   * Also comment `execute()` texts. Off by default: mysql2 prepares one server-side statement
   * per distinct text, so a per-request comment would prepare every statement again on every
   * request (and fill `max_prepared_stmt_count`).
   * @defaultValue `false`
   */
  commentExecute?: boolean
}

/**
 * Instruments mysql2 (callback and `mysql2/promise` APIs, connections and pools): `query()`
 * texts get the current request's sqlcommenter comment and every `query()` / `execute()` is
 * recorded as one `sql` operation. Pass the `mysql2` module itself: `mysql2/promise` runs on
 * the same classes, so it is covered too. The patch is core's, shared with the slow-request
 * watchdog; this adds the comment on top. Returns the function that undoes it.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2'
 * const unpatch = instrumentMysql2(mysql)
 * ```
 */
export function instrumentMysql2(mysql2: unknown, options: InstrumentMysql2Options = {}): () => void {
  const module = mysql2 as { Connection?: { prototype?: unknown }; PromisePool?: unknown } | null | undefined
  if (typeof module?.Connection?.prototype !== 'object' || module.PromisePool !== undefined) {
    // mysql2/promise's classes delegate to mysql2's: patching them as well would time every call twice.
    throw new StatsError('instrumentMysql2 expects the mysql2 module (with mysql2.Connection), not mysql2/promise', {
      code: StatsErrorCode.notADriver,
    })
  }
  const stops: Array<() => void> = [recordOperations('mysql2'), coreMysql2(mysql2)]
  const comment = options.comment === false ? undefined : createSqlCommenter(options)
  const commentExecute = options.commentExecute === true ? comment : undefined
  // Claims every mysql call, commented or not, so a later install's options do not apply.
  stops.push(
    addSqlRewriter((text, call) => {
      if (call.db !== 'mysql') return undefined
      const rewrite = call.method === 'execute' ? commentExecute : comment
      return rewrite === undefined ? text : rewrite(text)
    }),
  )
  return () => {
    for (const stop of stops.splice(0).reverse()) stop()
  }
}
