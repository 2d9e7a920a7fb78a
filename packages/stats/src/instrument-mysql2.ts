import { startOperation } from '@intro/core'
import { StatsError, StatsErrorCode } from './errors.js'
import { statementKind } from './metric-names.js'
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

type QueryFn = (this: unknown, ...args: unknown[]) => unknown

interface Mysql2Module {
  Connection?: { prototype: object }
  Pool?: { prototype: object }
}

const PATCHED = Symbol.for('intro.stats.mysql2.patched')

function ownerOf(proto: object, key: string): Record<string | symbol, unknown> | undefined {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, key)) return p as Record<string | symbol, unknown>
  }
  return undefined
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Instruments mysql2 (callback and `mysql2/promise` APIs, connections and pools): `query()`
 * texts get the current request's sqlcommenter comment and every `query()` / `execute()` is
 * recorded as a `sql` operation. Returns the function that restores mysql2.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2'
 * const unpatch = instrumentMysql2(mysql)
 * ```
 */
export function instrumentMysql2(mysql2: unknown, options: InstrumentMysql2Options = {}): () => void {
  const module = mysql2 as Mysql2Module
  const connectionProto = module?.Connection?.prototype
  if (connectionProto === undefined) {
    throw new StatsError('instrumentMysql2 expects the mysql2 module (with mysql2.Connection)', {
      code: StatsErrorCode.notADriver,
    })
  }
  const identity = (sql: string) => sql
  const comment = options.comment === false ? identity : createSqlCommenter(options)
  const commentExecute = options.commentExecute === true ? comment : identity
  const restores: Array<() => void> = []
  for (const proto of [connectionProto, module.Pool?.prototype]) {
    if (proto === undefined) continue
    for (const [method, commenter] of [
      ['query', comment],
      ['execute', commentExecute],
    ] as const) {
      const owner = ownerOf(proto, method)
      if (owner !== undefined) restores.push(patch(owner, method, commenter))
    }
  }
  return () => {
    for (const restore of restores.splice(0)) restore()
  }
}

function patch(owner: Record<string | symbol, unknown>, method: string, comment: (sql: string) => string): () => void {
  const marker = Symbol.for(`${String(PATCHED.description)}.${method}`)
  if (owner[marker] === true) return () => {}
  const original = owner[method] as QueryFn
  const patched = wrap(original, comment)
  owner[method] = patched
  owner[marker] = true
  return () => {
    if (owner[method] === patched) {
      owner[method] = original
      owner[marker] = false
    }
  }
}

function wrap(original: QueryFn, comment: (sql: string) => string): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0]
    let text: string | undefined
    // Pool#query hands Connection#query a prepared Query command: the pool already tracked it.
    if (typeof first === 'string') {
      text = first
      args[0] = comment(first)
    } else if (isPlainObject(first) && typeof first.sql === 'string') {
      text = first.sql
      args[0] = { ...first, sql: comment(first.sql) }
    }
    if (text === undefined) return original.apply(this, args)
    const handle = startOperation({
      kind: 'sql',
      description: text,
      attributes: { db: 'mysql', statement: statementKind(text) },
    })
    const index = typeof args[2] === 'function' ? 2 : typeof args[1] === 'function' ? 1 : -1
    if (index >= 0) {
      const callback = args[index] as QueryFn
      args[index] = function (this: unknown, error: unknown, ...rest: unknown[]) {
        handle.end(error ?? undefined)
        return callback.call(this, error, ...rest)
      }
    }
    let result: unknown
    try {
      result = original.apply(this, args)
    } catch (error) {
      handle.end(error)
      throw error
    }
    // Without a callback mysql2 returns the command, an EventEmitter that always emits 'end'.
    const command = result as { once?: (event: string, fn: () => void) => void } | undefined
    if (index < 0 && typeof command?.once === 'function') command.once('end', () => handle.end())
    return result
  }
}
