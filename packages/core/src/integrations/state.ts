import { coreState } from '../global-state.js'
import { unwrapMethod, wrapMethod } from './patch.js'

/** A library integration core provides. */
export type IntegrationName = 'pg' | 'mysql2' | 'ioredis' | 'fetch' | 'http' | 'childProcess' | 'fs'

/** What a SQL rewriter is told about the call (stats adds its sqlcommenter comment). */
export interface SqlCall {
  db: 'postgresql' | 'mysql'
  /** mysql2 distinguishes `query()` from `execute()` (a prepared statement). */
  method: 'query' | 'execute'
}

/** Rewrites the text of a query before it is sent; `undefined` leaves the call to the next rewriter. */
export type SqlRewriter = (text: string, call: SqlCall) => string | undefined

/** Headers to add to an outbound call to `origin`, or `undefined` for none. */
export type OutboundHeaders = (origin: string) => Array<[string, string]> | undefined

/** An installed header provider and the clients it is for. */
export interface OutboundHeadersEntry {
  provide: OutboundHeaders
  fetch: boolean
  http: boolean
}

/**
 * Process-wide integration state, shared by every copy of core (on `globalThis[Symbol.for('intro.core')]`):
 * how many consumers want each integration's operations recorded, the SQL rewriter and the
 * outbound header provider. One patch per library serves them all, so installing dogslow and
 * stats together records each call once.
 */
export interface IntegrationState {
  readonly users: Record<IntegrationName, number>
  /** The first installed rewriter that takes a call wins; a second install changes nothing until the first stops. */
  readonly sqlRewriters: SqlRewriter[]
  readonly outboundHeaders: OutboundHeadersEntry[]
  /** Install counts per patched target (a prototype, a module) and method, to unwrap after the last stops. */
  readonly installs: WeakMap<object, Map<string, number>>
  /** How to undo installs that are subscriptions rather than patches. */
  readonly unsubscribe: { fetch?: () => void }
}

export function integrationState(): IntegrationState {
  const holder = coreState as { integrations?: Record<string, unknown> }
  holder.integrations ??= {}
  const bag = holder.integrations as { state?: IntegrationState }
  bag.state ??= {
    users: { pg: 0, mysql2: 0, ioredis: 0, fetch: 0, http: 0, childProcess: 0, fs: 0 },
    sqlRewriters: [],
    outboundHeaders: [],
    installs: new WeakMap(),
    unsubscribe: {},
  }
  return bag.state
}

/** True when some consumer wants `name`'s calls recorded as operations. */
export function recording(name: IntegrationName): boolean {
  return integrationState().users[name] > 0
}

/** The SQL rewriters in install order. */
export function sqlRewriters(): readonly SqlRewriter[] {
  return integrationState().sqlRewriters
}

/** The outbound header provider in effect for `client`, if any (the first installed). */
export function outboundHeaders(client: 'fetch' | 'http'): OutboundHeaders | undefined {
  const entry = integrationState().outboundHeaders[0]
  return entry?.[client] === true ? entry.provide : undefined
}

/** Adds `item` to `list` and returns the function that removes it (once). */
export function addTo<T>(list: T[], item: T): () => void {
  list.push(item)
  let removed = false
  return () => {
    if (removed) return
    removed = true
    const index = list.indexOf(item)
    if (index >= 0) list.splice(index, 1)
  }
}

/**
 * Counts an install of `target[name]`: `install` runs for the first, the returned stop runs
 * `uninstall` after the last.
 */
export function sharedInstall(target: object, name: string, install: () => void, uninstall: () => void): () => void {
  const { installs } = integrationState()
  let counts = installs.get(target)
  if (counts === undefined) {
    counts = new Map()
    installs.set(target, counts)
  }
  const byName = counts
  const count = byName.get(name) ?? 0
  if (count === 0) install()
  byName.set(name, count + 1)
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    const left = (byName.get(name) ?? 1) - 1
    byName.set(name, left)
    if (left === 0) uninstall()
  }
}

/** Wraps `owner[name]` for the first install and restores it after the last. */
export function sharedWrap(owner: object, name: string, make: Parameters<typeof wrapMethod>[2]): () => void {
  return sharedInstall(
    owner,
    name,
    () => wrapMethod(owner, name, make),
    () => unwrapMethod(owner, name),
  )
}

/** Records that one more consumer wants `name`'s operations; returns the function that stops it. */
export function addUser(name: IntegrationName): () => void {
  const { users } = integrationState()
  // A copy of core older than this one may have made the record without this integration's key.
  users[name] = (users[name] ?? 0) + 1
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    users[name]--
  }
}
