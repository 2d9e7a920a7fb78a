import { AsyncResource } from 'node:async_hooks'
import { describeValue, invalidOption } from '../options.js'

/** The parts of the `pg` module the patch touches (pg 8). */
export interface PgModuleLike {
  Client: { prototype: object }
  Pool?: { prototype: object }
}

type AnyMethod = ((this: unknown, ...args: unknown[]) => unknown) & { [PATCHED]?: true }

const PATCHED = Symbol.for('intro.core.pg.context')
const METHODS = ['query', 'connect', 'end'] as const

/**
 * Makes callbacks passed to `pg` run in the context of the code that called `query`,
 * `connect` or `end`. pg calls them from its socket's data handler, which runs in the context
 * the connection was opened in — usually none, or another request's — so without this a
 * callback-style `client.query(text, cb)` sees no context (promise-style `await client.query()`
 * keeps it without help). Patches `Client.prototype` and `Pool.prototype` of the module you pass;
 * returns a function that removes the patch. Calling it twice is harmless.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * preservePgContext(pg)
 * ```
 */
export function preservePgContext(pg: PgModuleLike): () => void {
  if (typeof pg !== 'object' || pg === null || typeof pg.Client?.prototype !== 'object') {
    throw invalidOption(TypeError, `Expected \`pg\` to be the pg module (with Client), got ${describeValue(pg)}`)
  }
  const undo: Array<() => void> = []
  for (const target of [pg.Client, pg.Pool]) {
    if (target === undefined) continue
    for (const name of METHODS) {
      const restore = bindCallbacksOf(target.prototype as Record<string, unknown>, name)
      if (restore !== undefined) undo.push(restore)
    }
  }
  return () => {
    for (const restore of undo.splice(0).reverse()) restore()
  }
}

function bindCallbacksOf(proto: Record<string, unknown>, name: string): (() => void) | undefined {
  const original = proto[name] as AnyMethod | undefined
  if (typeof original !== 'function' || original[PATCHED]) return undefined
  const own = Object.getOwnPropertyDescriptor(proto, name)
  const wrapped: AnyMethod = function (this: unknown, ...args: unknown[]): unknown {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]
      // AsyncResource.bind captures every AsyncLocalStorage store, the app's own included;
      // its cost (about a microsecond) is noise next to a round trip to the database.
      if (typeof arg === 'function') args[i] = AsyncResource.bind(arg as (...a: unknown[]) => unknown)
    }
    return original.apply(this, args)
  }
  wrapped[PATCHED] = true
  Object.defineProperty(proto, name, { value: wrapped, writable: true, configurable: true, enumerable: own?.enumerable ?? false })
  return () => {
    if (proto[name] !== wrapped) return
    if (own === undefined) delete proto[name]
    else Object.defineProperty(proto, name, own)
  }
}
