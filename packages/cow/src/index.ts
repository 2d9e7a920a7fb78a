// The declarations use Node's types (node:http, NodeJS.*, AbortSignal): a consumer compiling with `"types": []` still gets them.
/// <reference types="node" preserve="true" />
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
