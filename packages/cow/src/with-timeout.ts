import { describeValue, invalidOption, registerOwnSource } from '@intro/core'
import { type MakeError, assertTimeoutMs, compileErrorSpec, isErrorClass } from './error-spec.js'
import { type Frame, RETURNED, RUNNING, THREW, runPreempted } from './preempt.js'
import type { ErrorSpec, TimeboxedBlock } from './types.js'

// Its frames sit in the stack of timeboxed code: a slow-request report folds them as the toolkit's.
registerOwnSource(import.meta.url)

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

const asyncFunctionPrototype = Object.getPrototypeOf(async () => {}) as object

/**
 * True for an `async function` or arrow (bound ones included): it always returns a promise, so
 * a caller of `withTimeout` may rely on getting one even when its synchronous part is preempted.
 * A plain function that returns a promise cannot be told apart before it returns.
 */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && Object.getPrototypeOf(fn) === asyncFunctionPrototype
}

/**
 * Runs one block under a limit. `fn` gets an AbortSignal only when it declares a parameter:
 * creating the signal costs ~4 µs in Node 20, which is most of the budget of a synchronous call.
 * When `async` is true, a timeout of the synchronous part rejects the returned promise instead
 * of throwing.
 */
export function runBlock<T>(ms: number, makeError: MakeError, fn: TimeboxedBlock<T>, async = isAsyncFunction(fn)): T {
  const controller = fn.length > 0 ? new AbortController() : undefined
  const frame: Frame = {
    fn: fn as Frame['fn'],
    arg: controller?.signal,
    deadline: performance.now() + ms,
    state: RUNNING,
    value: undefined,
    expired: false,
  }
  runPreempted(frame, ms)
  if (frame.state === RETURNED) {
    const value = frame.value
    return (isThenable(value) ? settleBefore(value, frame.deadline, ms, makeError, controller) : value) as T
  }
  if (frame.state === THREW) throw frame.value
  const error = makeError(ms)
  controller?.abort(error)
  if (async) return Promise.reject(error) as T
  throw error
}

// The async part: a timer on the event loop. It cannot fire while the thread is busy, so a
// settlement that arrives after the deadline (CPU-bound code after an await) is turned into
// the timeout error too: the caller never sees a result that came too late.
function settleBefore(
  pending: PromiseLike<unknown>,
  deadline: number,
  ms: number,
  makeError: MakeError,
  controller: AbortController | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let done = false
    const expire = () => {
      if (done) return
      done = true
      const error = makeError(ms)
      controller?.abort(error)
      reject(error)
    }
    const timer = setTimeout(expire, Math.max(0, deadline - performance.now()))
    const settle = (ok: boolean, value: unknown) => {
      if (done) return
      if (performance.now() >= deadline) {
        clearTimeout(timer)
        expire()
        return
      }
      done = true
      clearTimeout(timer)
      if (ok) resolve(value)
      else reject(value)
    }
    pending.then(
      (value) => settle(true, value),
      (error) => settle(false, error),
    )
  })
}

function assertBlock(fn: unknown): asserts fn is TimeboxedBlock<unknown> {
  if (typeof fn !== 'function') throw invalidOption(TypeError, `Expected \`fn\` to be a function, got ${describeValue(fn)}`)
}

/**
 * Runs `fn` with a time limit of `ms` milliseconds (fractions allowed). Past the deadline the
 * caller gets the error described by `Err` (default: {@link TimeoutError}, code `ERR_INTRO_TIMEOUT`),
 * even when `fn`'s synchronous code is stuck in a CPU loop or a catastrophic regex: a thread
 * outside the busy one stops it. For a synchronous `fn` the call is synchronous (value or
 * throw); when `fn` returns a promise, a promise is returned and `signal` aborts at the deadline.
 * An `async` `fn` always gets a promise back, even when its synchronous part (before the first
 * `await`) is preempted; a plain function returning a promise throws in that case.
 *
 * @example
 * ```ts
 * const ok = withTimeout(50, RangeError, () => userRegex.test(input))
 * const body = await withTimeout(2_000, RuntimeError, async (signal) => (await fetch(url, { signal })).text())
 * ```
 */
export function withTimeout<T>(ms: number, fn: TimeboxedBlock<T>): T
export function withTimeout<T>(ms: number, Err: ErrorSpec | undefined, fn: TimeboxedBlock<T>): T
export function withTimeout<T>(ms: number, Err: ErrorSpec | TimeboxedBlock<T> | undefined, fn?: TimeboxedBlock<T>): T {
  if (fn === undefined && typeof Err === 'function' && !isErrorClass(Err)) {
    fn = Err as TimeboxedBlock<T>
    Err = undefined
  }
  assertTimeoutMs('ms', ms)
  const makeError = compileErrorSpec('Err', Err as ErrorSpec | undefined)
  assertBlock(fn)
  return runBlock(ms, makeError, fn)
}

/**
 * Returns a decorator: `timeboxed(ms, Err)(fn)` is a function with `fn`'s parameters and `this`
 * whose every call runs under {@link withTimeout}. `Err` is validated once, here.
 *
 * @example
 * ```ts
 * const match = timeboxed(10, new RangeError('pattern too slow'))((re: RegExp, s: string) => re.test(s))
 * match(/^(a+)+$/, input)
 * ```
 */
export function timeboxed(ms: number, Err?: ErrorSpec) {
  assertTimeoutMs('ms', ms)
  const makeError = compileErrorSpec('Err', Err)
  return <A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) => {
    assertBlock(fn)
    const async = isAsyncFunction(fn)
    return function (this: unknown, ...args: A): R {
      return runBlock<R>(ms, makeError, () => Reflect.apply(fn, this, args) as R, async)
    }
  }
}
