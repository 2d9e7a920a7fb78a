import { describeValue, invalidOption } from '../options.js'
import { type MaybeHandle, rewriteSql, trackSql } from './sql-text.js'
import { applyTracked } from './patch.js'
import { sharedWrap } from './state.js'

type QueryFn = (this: unknown, ...args: unknown[]) => unknown

interface PgModule {
  Client?: { prototype: object }
  Pool?: { prototype: object }
}

// Set on configs that Pool.query has already rewritten and tracked, so the Client.query it
// calls later (possibly from another request's async context, when the pool was exhausted)
// passes them through untouched.
const HANDLED = Symbol.for('intro.core.pg.handled')

interface QueryConfig {
  text?: unknown
  name?: unknown
  submit?: unknown
  [HANDLED]?: boolean
}

function ownerOf(proto: object, key: string): object | undefined {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, key)) return p
  }
  return undefined
}

function isPlainObject(value: unknown): value is Record<string | symbol, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** True for something shaped like the `pg` module. */
export function isPgModule(value: unknown): boolean {
  return typeof (value as PgModule | undefined)?.Client?.prototype === 'object'
}

/**
 * Patches node-postgres (`Client#query`, `Pool#query`, submittables such as pg-cursor and
 * pg-query-stream) once per process: each query is a `sql` operation of the request until it
 * settles, and its text goes through the installed SQL rewriter (stats' comment). Returns the
 * function that stops this install; pg is restored when the last install stops.
 */
export function instrumentPg(pg: unknown): () => void {
  if (!isPgModule(pg)) throw invalidOption(TypeError, `Expected \`pg\` to be the pg module (with Client), got ${describeValue(pg)}`)
  const module = pg as PgModule
  const stops: Array<() => void> = []
  const clientOwner = ownerOf((module.Client as { prototype: object }).prototype, 'query')
  if (clientOwner !== undefined) {
    stops.push(sharedWrap(clientOwner, 'query', clientQuery))
  }
  const poolProto = module.Pool?.prototype
  const poolOwner = poolProto === undefined ? undefined : ownerOf(poolProto, 'query')
  if (poolOwner !== undefined) {
    stops.push(sharedWrap(poolOwner, 'query', poolQuery))
  }
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}

/** Splits pg's `(config, values?, callback?)` into its parts. */
function callbackIndex(args: unknown[]): number {
  if (typeof args[2] === 'function') return 2
  if (typeof args[1] === 'function') return 1
  return -1
}

function run(original: QueryFn, self: unknown, args: unknown[], handle: MaybeHandle): unknown {
  if (handle === undefined) return original.apply(self, args)
  const index = callbackIndex(args)
  if (index >= 0) {
    const callback = args[index] as QueryFn
    args[index] = function (this: unknown, error: unknown, ...rest: unknown[]) {
      handle.end(error ?? undefined)
      return callback.call(this, error, ...rest)
    }
  }
  const result = applyTracked(original, self, args, handle)
  if (index < 0 && result instanceof Promise) {
    result.then(
      () => handle.end(),
      (error: unknown) => handle.end(error),
    )
  }
  return result
}

const PG = { db: 'postgresql', method: 'query' } as const

function clientQuery(original: QueryFn): QueryFn {
  return function query(this: unknown, ...args: unknown[]): unknown {
    const config = args[0] as QueryConfig | string | undefined
    // The text is rewritten before the operation starts: nothing that throws may come between
    // starting an operation and the call that ends it.
    if (typeof config === 'string') {
      args[0] = rewriteSql(config, PG)
      return run(original, this, args, trackSql('pg', config, 'postgresql'))
    }
    if (typeof config !== 'object' || config === null || config[HANDLED] === true || typeof config.text !== 'string') {
      return original.apply(this, args)
    }
    const text = config.text
    const named = typeof config.name === 'string' && config.name !== ''
    if (typeof config.submit === 'function') {
      // A Submittable (pg-cursor, pg-query-stream): the text is read when it is submitted.
      if (!named) config.text = rewriteSql(text, PG)
      const handle = trackSql('pg', text, 'postgresql')
      if (handle !== undefined) wrapSubmittable(config as Submittable, handle)
      return original.apply(this, args)
    }
    // Named prepared statements are never rewritten: pg rejects a name reused with another text.
    if (!named && isPlainObject(config)) args[0] = { ...config, text: rewriteSql(text, PG) }
    return run(original, this, args, trackSql('pg', text, 'postgresql'))
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

function poolQuery(original: QueryFn): QueryFn {
  return function query(this: unknown, ...args: unknown[]): unknown {
    const config = args[0]
    let text: string | undefined
    if (typeof config === 'string') {
      text = config
      args[0] = { text: rewriteSql(config, PG), [HANDLED]: true }
    } else if (isPlainObject(config) && typeof config.text === 'string') {
      text = config.text
      const named = typeof config.name === 'string' && config.name !== ''
      args[0] = { ...config, text: named ? text : rewriteSql(text, PG), [HANDLED]: true }
    }
    if (text === undefined) return original.apply(this, args)
    return run(original, this, args, trackSql('pg', text, 'postgresql'))
  }
}
