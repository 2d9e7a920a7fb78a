import { addSqlRewriter, instrumentPg as corePg, recordOperations } from '@intro/core'
import { StatsError, StatsErrorCode } from './errors.js'
import { type SqlCommentOptions, createSqlCommenter } from './sql-comment.js'

/** Options of {@link instrumentPg}. */
export interface InstrumentPgOptions extends SqlCommentOptions {
  /**
   * Add the sqlcommenter comment to each query's text.
   * @defaultValue `true`
   */
  comment?: boolean
}

/**
 * Instruments node-postgres: every `Client#query` and `Pool#query` gets the current request's
 * sqlcommenter comment (prefix by default) and is recorded as a `sql` operation until it
 * settles. Named prepared statements are never commented: pg rejects a name reused with a
 * different text, and the id changes per request. The patch itself is core's, shared with the
 * slow-request watchdog (each query is recorded once); this adds the comment on top. Returns
 * the function that undoes it.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const unpatch = instrumentPg(pg)
 * ```
 */
export function instrumentPg(pg: unknown, options: InstrumentPgOptions = {}): () => void {
  if (typeof (pg as { Client?: { prototype?: unknown } } | null | undefined)?.Client?.prototype !== 'object') {
    throw new StatsError('instrumentPg expects the pg module (with pg.Client)', { code: StatsErrorCode.notADriver })
  }
  const stops: Array<() => void> = [recordOperations('pg'), corePg(pg)]
  const comment = options.comment === false ? undefined : createSqlCommenter(options)
  // Claims every pg call, commented or not, so a later install's options do not apply.
  stops.push(addSqlRewriter((text, call) => (call.db !== 'postgresql' ? undefined : comment === undefined ? text : comment(text))))
  return () => {
    for (const stop of stops.splice(0).reverse()) stop()
  }
}
