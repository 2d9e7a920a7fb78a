export { withTimeout, timeboxed } from './with-timeout.js'
export { createQuota } from './quota.js'
export { createWorkerPool } from './worker-pool.js'
export { preemptionMode } from './preempt.js'
export { CowErrorCode, TimeoutError, WorkerPoolError } from './errors.js'
export type { TimeoutErrorOptions } from './errors.js'
export type {
  ErrorClass,
  ErrorFactory,
  ErrorSpec,
  PreemptionMode,
  Quota,
  TimeboxedBlock,
  TimeoutInfo,
  WorkerPool,
  WorkerPoolOptions,
} from './types.js'
