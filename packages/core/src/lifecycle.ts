import diagnosticsChannel from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { RequestContext } from './context.js'
import { presetRequestId } from './adapters/fastify-request-id.js'
import { createCorrelationId, resolveInboundId } from './correlation-id.js'
import { reportDiagnostic } from './diagnostics.js'
import { STATE_VERSION, coreState } from './global-state.js'
import { checkBoolean, checkObject } from './option-checks.js'
import { rejectUnknownKeys } from './option-keys.js'
import { assertOptionalFunction, describeValue, envBoolean, invalidOption } from './options.js'
import type { AbortInfo, AdapterOptions, FinishInfo, LifecycleHooks } from './types.js'

const startChannel = diagnosticsChannel.channel('intro:request:start')
const finishChannel = diagnosticsChannel.channel('intro:request:finish')
const abortChannel = diagnosticsChannel.channel('intro:request:abort')

// Versioned like the global state: an incompatible copy of core must not pick up a request
// state whose shape it does not know.
const REQUEST_STATE = Symbol.for(`intro.core.request.v${STATE_VERSION}`)

/** Per-request bookkeeping, shared by every adapter that sees the same request. */
export interface RequestState {
  readonly context: RequestContext
  /** Hooks of the adapters that saw this request (replaced, never mutated: it may be shared). */
  hooks: readonly LifecycleHooks[]
  settled: boolean
}

type TaggedRequest = IncomingMessage & { [REQUEST_STATE]?: RequestState }

/** Adapter options after validation and defaults, computed once per adapter. */
export interface ResolvedAdapterOptions {
  hooks: LifecycleHooks | undefined
  trustUpstreamIds: boolean
  responseHeader: string | false
}

const ADAPTER_OPTIONS = ['hooks', 'trustUpstreamIds', 'responseHeader'] as const satisfies readonly (keyof AdapterOptions)[]

/** Validates adapter options once, at construction. */
export function resolveAdapterOptions(options: AdapterOptions = {}, env = process.env): ResolvedAdapterOptions {
  checkObject('options', options)
  rejectUnknownKeys('adapter options', options, ADAPTER_OPTIONS)
  const { hooks, trustUpstreamIds, responseHeader } = options
  if (hooks !== undefined) assertHooks('hooks', hooks)
  if (trustUpstreamIds !== undefined) checkBoolean('trustUpstreamIds', trustUpstreamIds)
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
  const { onStart, onFinish, onAbort, runInContext } = hooks as LifecycleHooks
  if (runInContext !== undefined) checkBoolean(`${name}.runInContext`, runInContext)
  assertOptionalFunction(`${name}.onStart`, onStart)
  assertOptionalFunction(`${name}.onFinish`, onFinish)
  assertOptionalFunction(`${name}.onAbort`, onAbort)
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean

/** What an instrumented `req`/`res` carries, so shared functions need no per-request closure. */
interface Tagged {
  [REQUEST_STATE]?: RequestState
  [ORIGINAL_EMIT]?: Emit
}

const ORIGINAL_EMIT = Symbol('intro.core.emit')

/**
 * Installed as the own `emit` of each request's `req` and `res`: every listener runs inside the
 * request's context. Both objects are created by the HTTP parser outside any request context,
 * and their events ('data' and 'end' of a body that arrives in a later packet, 'finish',
 * 'close') are emitted from socket callbacks: without this, `req.on('end', …)` in a plain
 * `node:http` handler would see no context. One shared function (no closure per request, the
 * hot path is allocation-bound); the prototype is left alone.
 */
function emitInRequestContext(this: Tagged, _event: string | symbol): boolean {
  const emit = this[ORIGINAL_EMIT] as Emit
  const context = this[REQUEST_STATE]?.context
  const storage = coreState.storage
  // An event nobody listens to runs nothing that could read the context ('readable' and 'close'
  // of a hello world's request): entering it would cost more than the emit (on Node 24 each
  // AsyncLocalStorage#run allocates a context frame).
  if (context === undefined || storage.getStore() === context || (this as unknown as IncomingMessage).listenerCount(_event) === 0) {
    // biome-ignore lint/complexity/noArguments: forwarding every argument without allocating a rest array
    return Reflect.apply(emit, this, arguments)
  }
  // biome-ignore lint/complexity/noArguments: as above
  return storage.run(context, Reflect.apply, emit, this, arguments) as boolean
}

/**
 * The response's own `emit`: like {@link emitInRequestContext}, and it settles the request on
 * 'close', before the app's 'close' listeners run. ServerResponse emits 'close' once per
 * response — a tick after 'finish' when it completed, or when the connection went away first —
 * so `writableFinished` tells finish from abort. Seeing the event here costs nothing more,
 * where a 'close' listener per response cost an `addListener`.
 */
function emitResponseInRequestContext(this: ServerResponse & Tagged, event: string | symbol): boolean {
  const emit = this[ORIGINAL_EMIT] as Emit
  const state = this[REQUEST_STATE]
  const storage = coreState.storage
  if (state === undefined || storage.getStore() === state.context) {
    if (event === 'close' && state !== undefined) settle(state, this, this.writableFinished)
    // biome-ignore lint/complexity/noArguments: forwarding every argument without allocating a rest array
    return Reflect.apply(emit, this, arguments)
  }
  // As in emitInRequestContext; settling needs the context only for hooks that may read it, or
  // for subscribers.
  if (this.listenerCount(event) === 0 && (event !== 'close' || !settleNeedsContext(state))) {
    if (event === 'close') settle(state, this, this.writableFinished)
    // biome-ignore lint/complexity/noArguments: forwarding every argument without allocating a rest array
    return Reflect.apply(emit, this, arguments)
  }
  // biome-ignore lint/complexity/noArguments: as above
  if (event === 'close') return storage.run(state.context, settleAndEmit, state, this, emit, arguments) as boolean
  // biome-ignore lint/complexity/noArguments: as above
  return storage.run(state.context, Reflect.apply, emit, this, arguments) as boolean
}

function observed(): boolean {
  return finishChannel.hasSubscribers || abortChannel.hasSubscribers
}

/**
 * Whether settling must enter the request's context: for channel subscribers, and for hooks
 * unless they say they never read it (`runInContext: false`, as dogslow's and stats' do). The
 * context is theirs as an argument anyway; entering it is an AsyncLocalStorage#run per request.
 */
function settleNeedsContext(state: RequestState): boolean {
  if (observed()) return true
  for (let i = 0; i < state.hooks.length; i++) if (state.hooks[i]!.runInContext !== false) return true
  if (coreState.lifecycleHooks.size > 0) for (const hooks of coreState.lifecycleHooks) if (hooks.runInContext !== false) return true
  return false
}

function settleAndEmit(state: RequestState, res: ServerResponse, emit: Emit, args: IArguments): boolean {
  settle(state, res, res.writableFinished)
  return Reflect.apply(emit, res, args)
}

function emitInContext(emitter: IncomingMessage | ServerResponse, state: RequestState, ownEmit: Emit): void {
  const tagged = emitter as unknown as Tagged & { emit: Emit }
  tagged[REQUEST_STATE] = state
  tagged[ORIGINAL_EMIT] = tagged.emit
  tagged.emit = ownEmit
}

type HookName = 'onStart' | 'onFinish' | 'onAbort'

function reportHookFailure(error: unknown): void {
  reportDiagnostic({ level: 'error', scope: 'core.lifecycle.hook', message: 'failed', error })
}

/**
 * Calls one hook as `safeExecute` would (a throw or a rejection is reported, never raised), with
 * no closure: this runs two or three times per request for every adapter with hooks.
 */
function callHook(hooks: LifecycleHooks, name: HookName, context: RequestContext, info: FinishInfo | AbortInfo | undefined): void {
  const hook = hooks[name] as ((this: LifecycleHooks, context: RequestContext, info: unknown) => unknown) | undefined
  if (hook === undefined) return
  try {
    const result = hook.call(hooks, context, info)
    if (result instanceof Promise) result.catch(reportHookFailure)
  } catch (error) {
    reportHookFailure(error)
  }
}

function callHooks(state: RequestState, name: HookName, context: RequestContext, info?: FinishInfo | AbortInfo): void {
  if (coreState.lifecycleHooks.size > 0) for (const hooks of coreState.lifecycleHooks) callHook(hooks, name, context, info)
  for (let i = 0; i < state.hooks.length; i++) callHook(state.hooks[i]!, name, context, info)
}

function hasHooks(state: RequestState): boolean {
  return state.hooks.length > 0 || coreState.lifecycleHooks.size > 0
}

function settle(state: RequestState, res: ServerResponse, finished: boolean): void {
  if (state.settled) return
  state.settled = true
  const { context } = state
  coreState.inFlight.delete(context)
  const durationMs = performance.now() - context.startHr
  if (finished) {
    if (hasHooks(state)) {
      callHooks(state, 'onFinish', context, { statusCode: res.statusCode, durationMs })
    }
    if (finishChannel.hasSubscribers) finishChannel.publish({ context, statusCode: res.statusCode, durationMs })
  } else {
    if (hasHooks(state)) {
      callHooks(state, 'onAbort', context, { durationMs })
    }
    if (abortChannel.hasSubscribers) abortChannel.publish({ context, durationMs })
  }
}

const NO_HOOKS: readonly LifecycleHooks[] = Object.freeze([])

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
      existing.hooks = [...existing.hooks, hooks]
      callHook(hooks, 'onStart', existing.context, undefined)
    }
    return existing
  }
  const context = new RequestContext({
    // Fastify's genReqId ran first when it is core's: its logger and the context share one id.
    // Untrusted upstream ids (the default) need no header: `req.headers` stays unbuilt.
    id: presetRequestId(req) ?? (options.trustUpstreamIds ? resolveInboundId(req.headers, true) : createCorrelationId()),
    method: req.method,
    request: req,
  })
  // Before the start hooks run: Fastify has matched the route by then, and onStart may read it.
  if (resolveRoute !== undefined) context.setRouteResolver(resolveRoute)
  const state: RequestState = { context, hooks: options.hooks === undefined ? NO_HOOKS : [options.hooks], settled: false }
  coreState.inFlight.add(context)
  emitInContext(req, state, emitInRequestContext as Emit)
  emitInContext(res, state, emitResponseInRequestContext as Emit)
  if (options.responseHeader !== false && !res.headersSent) res.setHeader(options.responseHeader, context.id)
  if (hasHooks(state)) callHooks(state, 'onStart', context)
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
