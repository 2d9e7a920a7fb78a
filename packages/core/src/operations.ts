import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { type RequestContext, getContext } from './context.js'
import { safeExecute } from './diagnostics.js'
import { assertOptionalFunction, describeValue, invalidOption } from './options.js'
import type { OperationEndInfo, OperationInit } from './types.js'

const startChannel = diagnosticsChannel.channel('intro:operation:start')
const endChannel = diagnosticsChannel.channel('intro:operation:end')

// Deep enough to reach the app's line through driver, pool and undici frames (a fetch starts
// ~20 frames below the app's call); capture cost grows with depth, formatting is deferred.
const STACK_FRAMES = 64
// For calls an app makes by the thousand (a static file server's reads), captured from the
// patched function's caller on: the app's line is the first frame, and the capture's cost grows
// with the frames taken (about 1 µs a frame on the loaded 2-core machine, where the capture was
// 44 % of a recorded createReadStream's CPU; bench/integrations, `integrations-fs-stream-cpu`).
const SHALLOW_STACK_FRAMES = 8

interface StackHolder {
  stack?: string
}

/**
 * Something a request is waiting on: a SQL query, an outbound HTTP call, a Redis command.
 * The stack where it began is captured cheaply (~2.5 µs, no formatting) and formatted only
 * when someone reads {@link Operation.stack} — normally only a slow-request report does.
 */
export class Operation {
  readonly kind: string
  readonly description: string
  readonly attributes: Record<string, unknown>
  readonly startTime: number = Date.now()
  readonly startHr: number = performance.now()
  readonly context: RequestContext | undefined
  readonly #origin: StackHolder = {}
  #stack: string | undefined

  constructor(init: OperationInit, context: RequestContext | undefined, caller: Function, frames: number = STACK_FRAMES) {
    this.kind = init.kind
    this.description = init.description
    this.attributes = init.attributes ?? {}
    this.context = context
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = frames
    Error.captureStackTrace(this.#origin, caller)
    Error.stackTraceLimit = limit
  }

  /** Where the operation began, innermost frame first, async frames included. */
  get stack(): string {
    if (this.#stack === undefined) {
      const raw = this.#origin.stack ?? ''
      // The first line is the holder's `toString()` ("[object Object]"), not a frame.
      this.#stack = raw.slice(raw.indexOf('\n') + 1)
    }
    return this.#stack
  }

  /** Milliseconds since the operation started. */
  elapsedMs(now: number = performance.now()): number {
    return now - this.startHr
  }
}

/** Handle returned by {@link startOperation}; call `end()` exactly once (later calls are ignored). */
export interface OperationHandle {
  readonly operation: Operation
  end(error?: unknown): void
}

// A programming mistake at the call site, so it throws there, like any option error; the
// checks are three `typeof`s, cheap next to the stack capture.
function assertInit(init: OperationInit): void {
  if (typeof init !== 'object' || init === null) {
    throw invalidOption(TypeError, `Expected the operation to be an object with \`kind\` and \`description\`, got ${describeValue(init)}`)
  }
  if (typeof init.kind !== 'string' || init.kind === '') {
    throw invalidOption(TypeError, `Expected \`kind\` to be a non-empty string, got ${describeValue(init.kind)}`)
  }
  if (typeof init.description !== 'string') {
    throw invalidOption(TypeError, `Expected \`description\` to be a string, got ${describeValue(init.description)}`)
  }
  if (init.attributes !== undefined && (typeof init.attributes !== 'object' || init.attributes === null)) {
    throw invalidOption(TypeError, `Expected \`attributes\` to be an object, got ${describeValue(init.attributes)}`)
  }
}

function begin(init: OperationInit, caller: Function, frames?: number): OperationHandle {
  assertInit(init)
  const context = getContext()
  const operation = new Operation(init, context, caller, frames)
  context?.operations.add(operation)
  if (startChannel.hasSubscribers) startChannel.publish(operation)
  let ended = false
  return {
    operation,
    end(error?: unknown) {
      if (ended) return
      ended = true
      context?.operations.delete(operation)
      if (endChannel.hasSubscribers) {
        const info: OperationEndInfo = { durationMs: operation.elapsedMs() }
        if (error !== undefined) info.error = error
        endChannel.publish({ operation, info })
      }
    },
  }
}

/**
 * Records an operation of the current request until `end()` is called.
 *
 * @example
 * ```ts
 * const op = startOperation({ kind: 'lock', description: `orders:${id}` })
 * try { await lock.acquire() } finally { op.end() }
 * ```
 */
export function startOperation(init: OperationInit): OperationHandle {
  return begin(init, startOperation)
}

/**
 * {@link startOperation} with a stack of 8 frames from the caller of `patched` (the wrapper
 * the app called) on, for core's integrations of calls made often and straight from the app's
 * code (file reads); not exported from the package.
 */
export function startShallowOperation(init: OperationInit, patched: Function): OperationHandle {
  return begin(init, patched, SHALLOW_STACK_FRAMES)
}

/**
 * Runs `fn` as an operation of the current request: recorded while it runs (or until its
 * promise settles), with the stack of the caller.
 *
 * @example
 * ```ts
 * const rows = await trackOperation({ kind: 'sql', description: text }, () => client.query(text))
 * ```
 */
export function trackOperation<T>(init: OperationInit, fn: () => T): T {
  const handle = begin(init, trackOperation)
  let result: T
  try {
    result = fn()
  } catch (error) {
    handle.end(error)
    throw error
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        handle.end()
        return value
      },
      (error: unknown) => {
        handle.end(error)
        throw error
      },
    ) as T
  }
  handle.end()
  return result
}

/** Listener for {@link onOperation}. */
export interface OperationListener {
  start?(operation: Operation): void
  end?(operation: Operation, info: OperationEndInfo): void
}

/**
 * Subscribes to every operation start and end (in any request, or none); returns the
 * unsubscribe function. Listeners should be cheap: they run on the app's hot path.
 */
export function onOperation(listener: OperationListener): () => void {
  if (typeof listener !== 'object' || listener === null) {
    throw invalidOption(TypeError, `Expected \`listener\` to be an object with start/end functions, got ${describeValue(listener)}`)
  }
  assertOptionalFunction('listener.start', listener.start)
  assertOptionalFunction('listener.end', listener.end)
  // A throwing subscriber would otherwise surface as an uncaught exception (diagnostics_channel
  // rethrows on the next tick) and crash the app from inside its own SQL call.
  const onStart = (message: unknown) => {
    safeExecute('core.operation.listener', () => listener.start?.(message as Operation))
  }
  const onEnd = (message: unknown) => {
    const { operation, info } = message as { operation: Operation; info: OperationEndInfo }
    safeExecute('core.operation.listener', () => listener.end?.(operation, info))
  }
  if (listener.start) startChannel.subscribe(onStart)
  if (listener.end) endChannel.subscribe(onEnd)
  return () => {
    if (listener.start) startChannel.unsubscribe(onStart)
    if (listener.end) endChannel.unsubscribe(onEnd)
  }
}
