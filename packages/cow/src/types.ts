/** What a timeout hands to an error factory. */
export interface TimeoutInfo {
  /** The time limit that was exceeded, in milliseconds. */
  timeoutMs: number
}

/** An error class constructed as `new Err(message)`. */
export type ErrorClass = new (message?: string) => Error

/** A function returning the error to throw. */
export type ErrorFactory = (info: TimeoutInfo) => Error

/**
 * What to throw past the deadline: an error class (`new Err(message)` each time), a factory
 * (called each time) or an error instance (thrown as is, every time).
 */
export type ErrorSpec = ErrorClass | ErrorFactory | Error

/** A block of code under a time limit; `signal` aborts at the deadline. */
export type TimeboxedBlock<T> = (signal: AbortSignal) => T

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * The module whose exports the pool runs: a `file:` URL or an absolute path of an ES module
   * or CommonJS file that Node can load in a worker thread.
   */
  module: string | URL
  /**
   * Worker threads kept at most; calls beyond wait for a free worker.
   * @defaultValue 1
   */
  maxWorkers?: number
  /**
   * `resourceLimits` of each worker (heap sizes), as in `new Worker(…, { resourceLimits })`.
   * @defaultValue undefined (Node's defaults)
   */
  resourceLimits?: import('node:worker_threads').ResourceLimits
}

/** A bounded pool of worker threads that run one module's exported functions under a deadline. */
export interface WorkerPool {
  /**
   * Calls `exportName(...args)` of the pool's module in a worker; past `ms` the worker is
   * terminated (whatever it is doing), replaced, and the call rejects with `Err`.
   * Arguments and the result cross threads by structured clone.
   */
  run<T = unknown>(ms: number, Err: ErrorSpec | undefined, exportName: string, ...args: unknown[]): Promise<T>
  /** Workers currently alive (busy or idle). */
  readonly size: number
  /** Terminates every worker; waiting and running calls reject with `ERR_INTRO_COW_POOL_CLOSED`. */
  close(): Promise<void>
}

/** A time budget shared by several blocks (see {@link createQuota}). */
export interface Quota {
  /**
   * Runs `fn` with the time left in the budget as its limit (sync stays sync, async returns a
   * promise); throws the quota's error at once when the budget is spent (an `async` `fn` gets a
   * rejected promise instead).
   */
  run<T>(fn: TimeboxedBlock<T>): T
  /** Milliseconds of budget left (never negative). */
  readonly remainingMs: number
  /** Milliseconds spent so far by blocks of this quota (nested blocks counted once). */
  readonly spentMs: number
}

/**
 * How synchronous blocks are preempted in a thread: the package's native watchdog, the
 * inspector's `Runtime.evaluate` with `timeout` (no prebuilt for this platform and Node ABI),
 * or `vm` with `timeout` (no inspector either). See {@link preemptionMode}.
 */
export type PreemptionMode = 'native' | 'inspector' | 'vm'
