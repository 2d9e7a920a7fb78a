import { startOperation } from '@intro/core'
import { StatsError, StatsErrorCode } from './errors.js'
import { statementKind } from './metric-names.js'
import { type SqlCommentOptions, createSqlCommenter } from './sql-comment.js'

/** Options of {@link instrumentPg}. */
export interface InstrumentPgOptions extends SqlCommentOptions {
  /**
   * Add the sqlcommenter comment to each query's text.
   * @defaultValue `true`
   */
  comment?: boolean
}

type QueryFn = (this: unknown, ...args: unknown[]) => unknown

interface PgModule {
  Client?: { prototype: object }
  Pool?: { prototype: object }
}

// Set on configs that Pool.query has already commented and tracked, so the Client.query it
// calls later (possibly from another request's async context, when the pool was exhausted)
// passes them through untouched.
const HANDLED = Symbol('intro.stats.pg.handled')
const PATCHED = Symbol.for('intro.stats.pg.patched')

interface QueryConfig {
  text?: unknown
  name?: unknown
  submit?: unknown
  [HANDLED]?: boolean
}

function ownerOf(proto: object, key: string): Record<string, unknown> | undefined {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, key)) return p as Record<string, unknown>
  }
  return undefined
}

function isPlainObject(value: unknown): value is Record<string | symbol, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Instruments node-postgres: every `Client#query` and `Pool#query` gets the current request's
 * sqlcommenter comment (prefix by default) and is recorded as a `sql` operation until it
 * settles. Named prepared statements are never commented: pg rejects a name reused with a
 * different text, and the id changes per request. Returns the function that restores pg.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const unpatch = instrumentPg(pg)
 * ```
 */
export function instrumentPg(pg: unknown, options: InstrumentPgOptions = {}): () => void {
  const module = pg as PgModule
  const clientProto = module?.Client?.prototype
  if (clientProto === undefined) {
    throw new StatsError('instrumentPg expects the pg module (with pg.Client)', { code: StatsErrorCode.notADriver })
  }
  const comment = options.comment === false ? (sql: string) => sql : createSqlCommenter(options)
  const restores: Array<() => void> = []
  const clientOwner = ownerOf(clientProto, 'query')
  if (clientOwner !== undefined) restores.push(patch(clientOwner, (original) => clientQuery(original, comment)))
  const poolProto = module.Pool?.prototype
  const poolOwner = poolProto === undefined ? undefined : ownerOf(poolProto, 'query')
  if (poolOwner !== undefined) restores.push(patch(poolOwner, (original) => poolQuery(original, comment)))
  return () => {
    for (const restore of restores.splice(0)) restore()
  }
}

function patch(owner: Record<string | symbol, unknown>, make: (original: QueryFn) => QueryFn): () => void {
  if (owner[PATCHED] === true) return () => {}
  const original = owner.query as QueryFn
  const patched = make(original)
  owner.query = patched
  owner[PATCHED] = true
  return () => {
    if (owner.query === patched) {
      owner.query = original
      owner[PATCHED] = false
    }
  }
}

/** Splits pg's `(config, values?, callback?)` into its parts. */
function callbackIndex(args: unknown[]): number {
  if (typeof args[2] === 'function') return 2
  if (typeof args[1] === 'function') return 1
  return -1
}

function track(text: string): { end(error?: unknown): void } {
  return startOperation({ kind: 'sql', description: text, attributes: { db: 'postgresql', statement: statementKind(text) } })
}

function run(original: QueryFn, self: unknown, args: unknown[], handle: { end(error?: unknown): void }): unknown {
  const index = callbackIndex(args)
  if (index >= 0) {
    const callback = args[index] as QueryFn
    args[index] = function (this: unknown, error: unknown, ...rest: unknown[]) {
      handle.end(error ?? undefined)
      return callback.call(this, error, ...rest)
    }
  }
  let result: unknown
  try {
    result = original.apply(self, args)
  } catch (error) {
    handle.end(error)
    throw error
  }
  if (index < 0 && result instanceof Promise) {
    result.then(
      () => handle.end(),
      (error: unknown) => handle.end(error),
    )
  }
  return result
}

function clientQuery(original: QueryFn, comment: (sql: string) => string): QueryFn {
  return function query(this: unknown, ...args: unknown[]): unknown {
    const config = args[0] as QueryConfig | string | undefined
    // The text is commented before the operation starts: nothing that throws may come between
    // starting an operation and the call that ends it.
    if (typeof config === 'string') {
      args[0] = comment(config)
      return run(original, this, args, track(config))
    }
    if (typeof config !== 'object' || config === null || config[HANDLED] === true || typeof config.text !== 'string') {
      return original.apply(this, args)
    }
    const text = config.text
    const named = typeof config.name === 'string' && config.name !== ''
    if (typeof config.submit === 'function') {
      // A Submittable (pg-cursor, pg-query-stream): the text is read when it is submitted.
      if (!named) config.text = comment(text)
      wrapSubmittable(config as Submittable, track(text))
      return run(original, this, args, { end: () => {} })
    }
    if (!named && isPlainObject(config)) args[0] = { ...config, text: comment(text) }
    return run(original, this, args, track(text))
  }
}

interface Submittable {
  handleError?: QueryFn
  handleReadyForQuery?: QueryFn
}

// pg drives a Submittable through handleError / handleReadyForQuery; wrapping those (rather
// than listening for 'error') leaves an unhandled 'error' exactly as loud as it was.
function wrapSubmittable(submittable: Submittable, handle: { end(error?: unknown): void }): void {
  const { handleError, handleReadyForQuery } = submittable
  if (typeof handleError === 'function') {
    submittable.handleError = function (this: unknown, ...args: unknown[]) {
      handle.end(args[0] ?? new Error('query failed'))
      return handleError.apply(this, args)
    }
  }
  if (typeof handleReadyForQuery === 'function') {
    submittable.handleReadyForQuery = function (this: unknown, ...args: unknown[]) {
      handle.end()
      return handleReadyForQuery.apply(this, args)
    }
  }
}

function poolQuery(original: QueryFn, comment: (sql: string) => string): QueryFn {
  return function query(this: unknown, ...args: unknown[]): unknown {
    const config = args[0]
    let text: string | undefined
    if (typeof config === 'string') {
      text = config
      args[0] = { text: comment(config), [HANDLED]: true }
    } else if (isPlainObject(config) && typeof config.text === 'string') {
      text = config.text
      const named = typeof config.name === 'string' && config.name !== ''
      args[0] = { ...config, text: named ? text : comment(text), [HANDLED]: true }
    }
    if (text === undefined) return original.apply(this, args)
    return run(original, this, args, track(text))
  }
}
