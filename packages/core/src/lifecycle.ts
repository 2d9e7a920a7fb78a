import diagnosticsChannel from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { RequestContext } from './context.js'
import { resolveInboundId } from './correlation-id.js'
import { safeExecute } from './diagnostics.js'
import { STATE_VERSION, coreState } from './global-state.js'
import { assertOptionalFunction, describeValue, envBoolean, invalidOption } from './options.js'
import type { AdapterOptions, LifecycleHooks } from './types.js'

const startChannel = diagnosticsChannel.channel('intro:request:start')
const finishChannel = diagnosticsChannel.channel('intro:request:finish')
const abortChannel = diagnosticsChannel.channel('intro:request:abort')

// Versioned like the global state: an incompatible copy of core must not pick up a request
// state whose shape it does not know.
const REQUEST_STATE = Symbol.for(`intro.core.request.v${STATE_VERSION}`)

/** Per-request bookkeeping, shared by every adapter that sees the same request. */
export interface RequestState {
  readonly context: RequestContext
  readonly hooks: LifecycleHooks[]
  settled: boolean
}

type TaggedRequest = IncomingMessage & { [REQUEST_STATE]?: RequestState }

/** Adapter options after validation and defaults, computed once per adapter. */
export interface ResolvedAdapterOptions {
  hooks: LifecycleHooks | undefined
  trustUpstreamIds: boolean
  responseHeader: string | false
}

/** Validates adapter options once, at construction. */
export function resolveAdapterOptions(options: AdapterOptions = {}, env = process.env): ResolvedAdapterOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(TypeError, `Expected adapter options to be an object, got ${describeValue(options)}`)
  }
  const { hooks, trustUpstreamIds, responseHeader } = options
  if (hooks !== undefined) assertHooks('hooks', hooks)
  if (trustUpstreamIds !== undefined && typeof trustUpstreamIds !== 'boolean') {
    throw invalidOption(TypeError, `Expected \`trustUpstreamIds\` to be a boolean, got ${describeValue(trustUpstreamIds)}`)
  }
  if (responseHeader !== undefined && responseHeader !== false && (typeof responseHeader !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(responseHeader))) {
    throw invalidOption(TypeError, `Expected \`responseHeader\` to be a header name or false, got ${describeValue(responseHeader)}`)
  }
  return {
    hooks,
    trustUpstreamIds: trustUpstreamIds ?? envBoolean(env, 'INTRO_TRUST_UPSTREAM_IDS') ?? false,
    responseHeader: responseHeader ?? 'x-request-id',
  }
}

/** Throws a `TypeError` unless `hooks` is an object whose hooks are functions. */
export function assertHooks(name: string, hooks: unknown): asserts hooks is LifecycleHooks {
  if (typeof hooks !== 'object' || hooks === null) {
    throw invalidOption(TypeError, `Expected \`${name}\` to be an object, got ${describeValue(hooks)}`)
  }
  const { onStart, onFinish, onAbort } = hooks as LifecycleHooks
  assertOptionalFunction(`${name}.onStart`, onStart)
  assertOptionalFunction(`${name}.onFinish`, onFinish)
  assertOptionalFunction(`${name}.onAbort`, onAbort)
}

function fullUrl(req: IncomingMessage): string {
  const path = req.url ?? '/'
  // Absolute-form request targets (`GET http://host/path`, sent to proxies) are already full.
  if (!path.startsWith('/') && /^https?:\/\//i.test(path)) return path
  const scheme = (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http'
  const host = req.headers.host ?? `${req.socket?.localAddress ?? 'localhost'}:${req.socket?.localPort ?? ''}`
  return `${scheme}://${host}${path}`
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean

/**
 * Makes every listener of `emitter` run inside `context`. The request and response objects are
 * created by the HTTP parser outside any request context, and their events ('data' and 'end'
 * of a body that arrives in a later packet, 'finish', 'close') are emitted from socket
 * callbacks: without this, `req.on('end', …)` in a plain `node:http` handler would see no
 * context. One own `emit` per request; the prototype is left alone.
 */
function emitInContext(emitter: IncomingMessage | ServerResponse, context: RequestContext): void {
  const emit = emitter.emit as Emit
  const storage = coreState.storage
  const bound: Emit = function (this: unknown, event, ...args) {
    if (storage.getStore() === context) return emit.call(this, event, ...args)
    return storage.run(context, () => emit.call(this, event, ...args))
  }
  ;(emitter as { emit: Emit }).emit = bound
}

function callHooks(state: RequestState, call: (hooks: LifecycleHooks) => void): void {
  for (const hooks of coreState.lifecycleHooks) safeExecute('core.lifecycle.hook', () => call(hooks))
  for (const hooks of state.hooks) safeExecute('core.lifecycle.hook', () => call(hooks))
}

function settle(state: RequestState, res: ServerResponse, finished: boolean): void {
  if (state.settled) return
  state.settled = true
  const { context } = state
  coreState.inFlight.delete(context)
  const durationMs = performance.now() - context.startHr
  if (finished) {
    const info = { statusCode: res.statusCode, durationMs }
    callHooks(state, (hooks) => hooks.onFinish?.(context, info))
    if (finishChannel.hasSubscribers) finishChannel.publish({ context, ...info })
  } else {
    const info = { durationMs }
    callHooks(state, (hooks) => hooks.onAbort?.(context, info))
    if (abortChannel.hasSubscribers) abortChannel.publish({ context, ...info })
  }
}

/**
 * Starts (or joins) the lifecycle of one request: the first adapter to see a request creates
 * its context; a second adapter on the same request (dogslow and stats both installed) reuses
 * that context and only adds its own hooks.
 */
export function beginRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedAdapterOptions,
  resolveRoute?: () => string | undefined,
): RequestState {
  const tagged = req as TaggedRequest
  const existing = tagged[REQUEST_STATE]
  if (existing !== undefined) {
    // A framework adapter behind `wrapHandler`/`instrumentServer` knows the route; they do not.
    if (resolveRoute !== undefined) existing.context.setRouteResolver(resolveRoute)
    const { hooks } = options
    if (hooks !== undefined && !existing.hooks.includes(hooks)) {
      existing.hooks.push(hooks)
      safeExecute('core.lifecycle.hook', () => hooks.onStart?.(existing.context))
    }
    return existing
  }
  const context = new RequestContext({
    id: resolveInboundId(req.headers, options.trustUpstreamIds),
    method: req.method,
    url: fullUrl(req),
    headers: req.headers,
  })
  // Before the start hooks run: Fastify has matched the route by then, and onStart may read it.
  if (resolveRoute !== undefined) context.setRouteResolver(resolveRoute)
  const state: RequestState = { context, hooks: options.hooks === undefined ? [] : [options.hooks], settled: false }
  tagged[REQUEST_STATE] = state
  coreState.inFlight.add(context)
  emitInContext(req, context)
  emitInContext(res, context)
  if (options.responseHeader !== false && !res.headersSent) res.setHeader(options.responseHeader, context.id)
  res.once('finish', () => settle(state, res, true))
  res.once('close', () => settle(state, res, res.writableFinished))
  callHooks(state, (hooks) => hooks.onStart?.(context))
  if (startChannel.hasSubscribers) startChannel.publish({ context })
  return state
}

/**
 * Subscribes hooks to every request seen by any adapter in this process; returns the
 * unsubscribe function.
 */
export function onRequestLifecycle(hooks: LifecycleHooks): () => void {
  assertHooks('hooks', hooks)
  coreState.lifecycleHooks.add(hooks)
  return () => {
    coreState.lifecycleHooks.delete(hooks)
  }
}
