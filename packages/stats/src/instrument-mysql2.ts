import { type OperationHandle, startOperation } from '@intro/core'
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
type Comment = (sql: string) => string

interface Mysql2Module {
  Connection?: { prototype: object }
  Pool?: { prototype: object }
  PromisePool?: unknown
}

interface Command {
  once?: (event: string, fn: () => void) => unknown
  emit?: (event: string | symbol, ...args: unknown[]) => boolean
}

const PATCHED = Symbol.for('intro.stats.mysql2.patched')

// Pool#execute hands Connection#execute the very arguments object the pool wrapper built, from
// inside getConnection's callback: that may run in another request's async context (when a
// connection is released), and tracking it there would count the call twice.
const pooled = new WeakMap<object, OperationHandle>()

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
 * recorded as one `sql` operation. Pass the `mysql2` module itself: `mysql2/promise` runs on
 * the same classes, so it is covered too. Returns the function that restores mysql2.
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
  if (connectionProto === undefined || module.PromisePool !== undefined) {
    // mysql2/promise's classes delegate to mysql2's: patching them as well would time every call twice.
    throw new StatsError('instrumentMysql2 expects the mysql2 module (with mysql2.Connection), not mysql2/promise', {
      code: StatsErrorCode.notADriver,
    })
  }
  const identity: Comment = (sql) => sql
  const comment = options.comment === false ? identity : createSqlCommenter(options)
  const commentExecute = options.comment !== false && options.commentExecute === true ? comment : identity
  const restores: Array<() => void> = []
  const patchOn = (proto: object | undefined, method: string, make: (original: QueryFn) => QueryFn) => {
    const owner = proto === undefined ? undefined : ownerOf(proto, method)
    if (owner !== undefined) restores.push(patch(owner, method, make))
  }
  patchOn(connectionProto, 'query', (original) => connectionCall(original, comment))
  patchOn(connectionProto, 'execute', (original) => connectionCall(original, commentExecute))
  patchOn(module.Pool?.prototype, 'query', (original) => poolQuery(original, comment))
  patchOn(module.Pool?.prototype, 'execute', (original) => poolExecute(original, commentExecute))
  return () => {
    for (const restore of restores.splice(0)) restore()
  }
}

function patch(owner: Record<string | symbol, unknown>, method: string, make: (original: QueryFn) => QueryFn): () => void {
  const marker = Symbol.for(`${String(PATCHED.description)}.${method}`)
  if (owner[marker] === true) return () => {}
  const original = owner[method] as QueryFn
  const patched = make(original)
  owner[method] = patched
  owner[marker] = true
  return () => {
    if (owner[method] === patched) {
      owner[method] = original
      owner[marker] = false
    }
  }
}

function track(text: string): OperationHandle {
  return startOperation({ kind: 'sql', description: text, attributes: { db: 'mysql', statement: statementKind(text) } })
}

/** The SQL text of a `query()` / `execute()` first argument, and that argument with `sql` commented. */
function commented(first: unknown, comment: Comment): { text: string; arg: string | Record<string, unknown> } | undefined {
  if (typeof first === 'string') return { text: first, arg: comment(first) }
  if (isPlainObject(first) && typeof first.sql === 'string') return { text: first.sql, arg: { ...first, sql: comment(first.sql) } }
  return undefined
}

function callbackIndex(args: unknown[]): number {
  if (typeof args[2] === 'function') return 2
  if (typeof args[1] === 'function') return 1
  return -1
}

/** Ends `handle` when the callback at `index` runs, with the error it receives. */
function endInCallback(args: unknown[], index: number, handle: OperationHandle): void {
  const callback = args[index] as QueryFn
  args[index] = function (this: unknown, error: unknown, ...rest: unknown[]) {
    handle.end(error ?? undefined)
    return callback.call(this, error, ...rest)
  }
}

/**
 * Ends `handle` with the command: a mysql2 command always emits 'end', after 'error' when it
 * failed. The error is observed through `emit`, because an 'error' listener would make an
 * error the app does not handle silently handled.
 */
function endWithCommand(result: unknown, handle: OperationHandle): void {
  const command = result as Command | undefined
  if (typeof command?.once !== 'function' || typeof command.emit !== 'function') return
  let failure: unknown
  const emit = command.emit
  command.emit = function (this: unknown, event: string | symbol, ...rest: unknown[]) {
    if (event === 'error') failure = rest[0]
    return emit.call(this, event, ...rest)
  }
  command.once('end', () => handle.end(failure))
}

function invoke(original: QueryFn, self: unknown, args: unknown[], handle: OperationHandle): unknown {
  const index = callbackIndex(args)
  if (index >= 0) endInCallback(args, index, handle)
  let result: unknown
  try {
    result = original.apply(self, args)
  } catch (error) {
    handle.end(error)
    throw error
  }
  if (index < 0) endWithCommand(result, handle)
  return result
}

/** Connection#query and Connection#execute (also PoolConnection's, and mysql2/promise's through them). */
function connectionCall(original: QueryFn, comment: Comment): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0]
    // A call from Pool#execute: the pool wrapper already commented it and tracks it; only its end
    // is seen here (the pool's own callback runs even when the app passed none).
    const fromPool = typeof first === 'object' && first !== null ? pooled.get(first) : undefined
    if (fromPool !== undefined) {
      pooled.delete(first as object)
      return invoke(original, this, args, fromPool)
    }
    // Pool#query hands Connection#query a prepared Query command: the pool already tracks it.
    const call = commented(first, comment)
    if (call === undefined) return original.apply(this, args)
    const handle = track(call.text)
    args[0] = call.arg
    return invoke(original, this, args, handle)
  }
}

function poolQuery(original: QueryFn, comment: Comment): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const call = commented(args[0], comment)
    if (call === undefined) return original.apply(this, args)
    const handle = track(call.text)
    args[0] = call.arg
    return invoke(original, this, args, handle)
  }
}

function poolExecute(original: QueryFn, comment: Comment): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0]
    const text = typeof first === 'string' ? first : isPlainObject(first) && typeof first.sql === 'string' ? first.sql : undefined
    if (text === undefined) return original.apply(this, args)
    const handle = track(text)
    // Always an object: Connection#execute takes `{ sql, values, … }` as well as a string, and an
    // object can be recognised when the pool passes it on.
    const arg: Record<string, unknown> = isPlainObject(first) ? { ...first, sql: comment(text) } : { sql: comment(text) }
    pooled.set(arg, handle)
    args[0] = arg
    const index = callbackIndex(args)
    // The app's callback also receives getConnection's errors, which never reach the connection.
    if (index >= 0) endInCallback(args, index, handle)
    try {
      return original.apply(this, args)
    } catch (error) {
      handle.end(error)
      throw error
    }
  }
}
