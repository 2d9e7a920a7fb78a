import { syncBuiltinESMExports } from 'node:module'
import timers from 'node:timers'
import timersPromises from 'node:timers/promises'
import { type RequestContext, getContext } from '@intro/core'

/** A long timer created by a request and not yet fired or cleared. */
export interface PendingTimer {
  readonly description: string
  readonly startTime: number
  readonly stack: string
}

interface TimerRecord extends PendingTimer {
  holder: { stack?: string }
}

// Core's operation registry does not see timers, and Node publishes no channel for them, so a
// request sleeping on `setTimeout` would be reported as waiting on nothing. Wrapping the timer
// functions is the only way to learn which line set the timer; short timers (the vast majority:
// socket and retry timers) return after one comparison, and only long ones pay for a stack
// capture (~2.5 µs, formatted only if a report is written).
const RECORD = Symbol('intro.dogslow.timer')
const byContext = new WeakMap<RequestContext, Set<TimerRecord>>()
const thresholds = new Map<object, number>()
let minMs = Number.POSITIVE_INFINITY
interface TimerFunctions {
  setTimeout: typeof setTimeout
  clearTimeout: typeof clearTimeout
  sleep: typeof timersPromises.setTimeout
}
let originals: TimerFunctions | undefined
let traced: TimerFunctions | undefined

function record(delay: number, kind: string, caller: Function): { context: RequestContext; entry: TimerRecord } | undefined {
  const context = getContext()
  if (context === undefined) return undefined
  const holder: { stack?: string } = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 20
  Error.captureStackTrace(holder, caller)
  Error.stackTraceLimit = limit
  let formatted: string | undefined
  const entry: TimerRecord = {
    description: `${kind}(${delay} ms)`,
    startTime: Date.now(),
    holder,
    get stack() {
      if (formatted === undefined) {
        const raw = holder.stack ?? ''
        formatted = raw.slice(raw.indexOf('\n') + 1)
      }
      return formatted
    },
  }
  let set = byContext.get(context)
  if (set === undefined) {
    set = new Set()
    byContext.set(context, set)
  }
  set.add(entry)
  return { context, entry }
}

function forget(context: RequestContext, entry: TimerRecord): void {
  byContext.get(context)?.delete(entry)
}

function install(): void {
  const original = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, sleep: timersPromises.setTimeout }
  originals = original
  const tracedSetTimeout = function setTimeout(callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) {
    if (!((delay ?? 0) >= minMs) || typeof callback !== 'function') return original.setTimeout(callback, delay, ...args)
    const tracked = record(delay ?? 0, 'setTimeout', tracedSetTimeout)
    if (tracked === undefined) return original.setTimeout(callback, delay, ...args)
    const timeout = original.setTimeout(function (this: unknown, ...callArgs: unknown[]) {
      forget(tracked.context, tracked.entry)
      return callback.apply(this, callArgs)
    }, delay, ...args)
    ;(timeout as unknown as Record<symbol, unknown>)[RECORD] = tracked
    return timeout
  } as typeof setTimeout
  const tracedClearTimeout = function clearTimeout(timeout: unknown) {
    const tracked = timeout !== null && typeof timeout === 'object' ? (timeout as Record<symbol, ReturnType<typeof record>>)[RECORD] : undefined
    if (tracked !== undefined) forget(tracked.context, tracked.entry)
    return original.clearTimeout(timeout as NodeJS.Timeout)
  } as typeof clearTimeout
  const tracedSleep = function setTimeout(delay?: number, ...rest: unknown[]) {
    const promise = (original.sleep as (...a: unknown[]) => Promise<unknown>)(delay, ...rest)
    if (!((delay ?? 0) >= minMs)) return promise
    const tracked = record(delay ?? 0, 'timers/promises setTimeout', tracedSleep)
    if (tracked === undefined) return promise
    const done = () => forget(tracked.context, tracked.entry)
    promise.then(done, done)
    return promise
  } as typeof timersPromises.setTimeout
  traced = { setTimeout: tracedSetTimeout, clearTimeout: tracedClearTimeout, sleep: tracedSleep }
  globalThis.setTimeout = tracedSetTimeout
  globalThis.clearTimeout = tracedClearTimeout
  timers.setTimeout = tracedSetTimeout
  timers.clearTimeout = tracedClearTimeout
  timersPromises.setTimeout = tracedSleep
  syncBuiltinESMExports()
}

function uninstall(): void {
  if (originals === undefined || traced === undefined) return
  // Only restore what is still ours: someone may have wrapped the functions after us, and
  // putting the originals back would silently drop their wrapper.
  if (globalThis.setTimeout === traced.setTimeout) globalThis.setTimeout = originals.setTimeout
  if (globalThis.clearTimeout === traced.clearTimeout) globalThis.clearTimeout = originals.clearTimeout
  if (timers.setTimeout === traced.setTimeout) timers.setTimeout = originals.setTimeout
  if (timers.clearTimeout === traced.clearTimeout) timers.clearTimeout = originals.clearTimeout
  if (timersPromises.setTimeout === traced.sleep) timersPromises.setTimeout = originals.sleep
  syncBuiltinESMExports()
  originals = undefined
  traced = undefined
}

/**
 * `setTimeout` as it was before tracing wrapped it: the watchdog's own timers are not the
 * request's, however long they are.
 */
export function untracedSetTimeout(callback: () => void, delayMs: number): NodeJS.Timeout {
  return (originals?.setTimeout ?? globalThis.setTimeout)(callback, delayMs)
}

/**
 * Starts recording long timers (at least `thresholdMs`) created inside requests; returns the
 * function that stops it. Several watchdogs share one wrapper, with the lowest threshold.
 */
export function traceTimers(thresholdMs: number): () => void {
  const token = {}
  thresholds.set(token, thresholdMs)
  minMs = Math.min(...thresholds.values())
  if (originals === undefined) install()
  return () => {
    if (!thresholds.delete(token)) return
    minMs = thresholds.size === 0 ? Number.POSITIVE_INFINITY : Math.min(...thresholds.values())
    if (thresholds.size === 0) uninstall()
  }
}

/** Long timers the request created that have not fired or been cleared yet. */
export function pendingTimers(context: RequestContext): Iterable<PendingTimer> {
  return byContext.get(context) ?? []
}
