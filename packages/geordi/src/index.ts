// The declarations use Node's types (node:http, NodeJS.*, AbortSignal): a consumer compiling with `"types": []` still gets them.
/// <reference types="node" preserve="true" />
export { createGeordi } from './create-geordi.js'
export type { Geordi, GeordiFastifyPlugin } from './create-geordi.js'
export { startGeordiWorker } from './worker.js'
export type { GeordiWorker, GeordiWorkerCloseOptions } from './worker.js'
export { GeordiError, GeordiErrorCodes } from './errors.js'
export type { GeordiErrorCode } from './errors.js'
export { GEORDI_HEADER } from './api-trigger.js'
export { GEORDI_PARAM } from './geordi-param.js'
export { JOB_CHANNEL } from './job-channel.js'
export { GeordiModes, JobStates, ResultFiles } from './types.js'
export type { GeordiFramework, GeordiFrameworkRequests } from './frameworks.js'
export type {
  AdminKeyHook,
  AuthorizeHook,
  GeordiMode,
  GeordiOptions,
  GeordiSharedOptions,
  GeordiWorkerOptions,
  JobState,
  JobStatus,
  ResultFileKind,
} from './types.js'
// The renderer (call graph, SVG, PDF) is public too: `geordi-render` and custom pipelines use it.
export * from './render/index.js'
