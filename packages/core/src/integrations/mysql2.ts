import type { OperationHandle } from '../operations.js'
import { describeValue, invalidOption } from '../options.js'
import { applyTracked } from './patch.js'
import { rewriteSql, trackSql } from './sql-text.js'
import { type SqlCall, sharedWrap } from './state.js'

type QueryFn = (this: unknown, ...args: unknown[]) => unknown
type Method = SqlCall['method']

interface Mysql2Module {
  Connection?: { prototype: object }
  Pool?: { prototype: object }
  PromisePool?: unknown
}

interface Command {
  once?: (event: string, fn: () => void) => unknown
  emit?: (event: string | symbol, ...args: unknown[]) => boolean
}

// Pool#execute hands Connection#execute the very arguments object the pool wrapper built, from
// inside getConnection's callback: that may run in another request's async context (when a
// connection is released), and tracking it there would count the call twice.
const pooled = new WeakMap<object, OperationHandle | null>()

function ownerOf(proto: object, key: string): object | undefined {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, key)) return p
  }
  return undefined
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** True for the `mysql2` module itself (not `mysql2/promise`, whose classes delegate to it). */
export function isMysql2Module(value: unknown): boolean {
  const module = value as Mysql2Module | undefined
  return typeof module?.Connection?.prototype === 'object' && module.PromisePool === undefined
}

/**
 * Patches mysql2 (callback and `mysql2/promise` APIs, connections and pools) once per process:
 * every `query()` / `execute()` is one `sql` operation, and its text goes through the installed
 * SQL rewriter. Pass the `mysql2` module itself; `mysql2/promise` runs on the same classes.
 * Returns the function that stops this install.
 */
export function instrumentMysql2(mysql2: unknown): () => void {
  if (!isMysql2Module(mysql2)) {
    throw invalidOption(TypeError, `Expected \`mysql2\` to be the mysql2 module (with Connection), not mysql2/promise, got ${describeValue(mysql2)}`)
  }
  const module = mysql2 as Mysql2Module
  const stops: Array<() => void> = []
  const patchOn = (proto: object | undefined, method: string, make: (original: QueryFn) => QueryFn) => {
    const owner = proto === undefined ? undefined : ownerOf(proto, method)
    if (owner !== undefined) stops.push(sharedWrap(owner, method, make))
  }
  patchOn(module.Connection?.prototype, 'query', (original) => connectionCall(original, 'query'))
  patchOn(module.Connection?.prototype, 'execute', (original) => connectionCall(original, 'execute'))
  patchOn(module.Pool?.prototype, 'query', (original) => poolQuery(original))
  patchOn(module.Pool?.prototype, 'execute', (original) => poolExecute(original))
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}

const call = (method: Method): SqlCall => ({ db: 'mysql', method })

/** The SQL text of a `query()` / `execute()` first argument, and that argument rewritten. */
function rewritten(first: unknown, method: Method): { text: string; arg: string | Record<string, unknown> } | undefined {
  if (typeof first === 'string') return { text: first, arg: rewriteSql(first, call(method)) }
  if (isPlainObject(first) && typeof first.sql === 'string') return { text: first.sql, arg: { ...first, sql: rewriteSql(first.sql, call(method)) } }
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

function invoke(original: QueryFn, self: unknown, args: unknown[], handle: OperationHandle | undefined): unknown {
  if (handle === undefined) return original.apply(self, args)
  const index = callbackIndex(args)
  if (index >= 0) endInCallback(args, index, handle)
  const result = applyTracked(original, self, args, handle)
  if (index < 0) endWithCommand(result, handle)
  return result
}

/** Connection#query and Connection#execute (also PoolConnection's, and mysql2/promise's through them). */
function connectionCall(original: QueryFn, method: Method): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0]
    // A call from Pool#execute: the pool wrapper already rewrote it and tracks it; only its end
    // is seen here (the pool's own callback runs even when the app passed none).
    const fromPool = typeof first === 'object' && first !== null ? pooled.get(first) : undefined
    if (fromPool !== undefined) {
      pooled.delete(first as object)
      return invoke(original, this, args, fromPool ?? undefined)
    }
    // Pool#query hands Connection#query a prepared Query command: the pool already tracks it.
    const parts = rewritten(first, method)
    if (parts === undefined) return original.apply(this, args)
    const handle = trackSql('mysql2', parts.text, 'mysql')
    args[0] = parts.arg
    return invoke(original, this, args, handle)
  }
}

function poolQuery(original: QueryFn): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const parts = rewritten(args[0], 'query')
    if (parts === undefined) return original.apply(this, args)
    const handle = trackSql('mysql2', parts.text, 'mysql')
    args[0] = parts.arg
    return invoke(original, this, args, handle)
  }
}

function poolExecute(original: QueryFn): QueryFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0]
    const text = typeof first === 'string' ? first : isPlainObject(first) && typeof first.sql === 'string' ? first.sql : undefined
    if (text === undefined) return original.apply(this, args)
    const handle = trackSql('mysql2', text, 'mysql')
    const sql = rewriteSql(text, call('execute'))
    // Always an object: Connection#execute takes `{ sql, values, … }` as well as a string, and an
    // object can be recognised when the pool passes it on.
    const arg: Record<string, unknown> = isPlainObject(first) ? { ...first, sql } : { sql }
    pooled.set(arg, handle ?? null)
    args[0] = arg
    const index = callbackIndex(args)
    if (handle === undefined) return original.apply(this, args)
    // The app's callback also receives getConnection's errors, which never reach the connection.
    if (index >= 0) endInCallback(args, index, handle)
    return applyTracked(original, this, args, handle)
  }
}
