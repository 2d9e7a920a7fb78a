import { IntroError } from '@intro/core'

/** Error codes used by @intro/cow. */
export const CowErrorCode = {
  /** A block ran past its deadline (the default error of `withTimeout`, `timeboxed` and quotas). */
  timeout: 'ERR_INTRO_TIMEOUT',
  /** `WorkerPool.run` was called after `close()`, or the pool closed while the call waited. */
  poolClosed: 'ERR_INTRO_COW_POOL_CLOSED',
  /** The pool's worker died, or the module or its export could not be loaded. */
  workerFailed: 'ERR_INTRO_COW_WORKER_FAILED',
  /** `INTRO_COW_PREEMPTION=native` was set, but no native watchdog loads for this platform and Node ABI. */
  nativeUnavailable: 'ERR_INTRO_COW_NATIVE_UNAVAILABLE',
} as const

/** Union of {@link CowErrorCode} values. */
export type CowErrorCode = (typeof CowErrorCode)[keyof typeof CowErrorCode]

/** Options of {@link TimeoutError}. */
export interface TimeoutErrorOptions {
  /** The time limit that was exceeded, in milliseconds. */
  timeoutMs?: number
  cause?: unknown
}

/**
 * Thrown when a timeboxed block runs past its deadline and the caller gave no error of its own.
 *
 * @example
 * ```ts
 * try { withTimeout(50, () => slow()) } catch (e) { if (e instanceof TimeoutError) ... }
 * ```
 */
export class TimeoutError extends IntroError {
  override name = 'TimeoutError'
  /** The time limit that was exceeded, in milliseconds (`undefined` when constructed by hand). */
  readonly timeoutMs: number | undefined

  constructor(message = 'Timed out', options: TimeoutErrorOptions = {}) {
    super(message, { code: CowErrorCode.timeout, cause: options.cause })
    this.timeoutMs = options.timeoutMs
  }
}

/** Base class of the worker pool's own failures (`code` is one of {@link CowErrorCode}). */
export class WorkerPoolError extends IntroError {
  override name = 'WorkerPoolError'
}
