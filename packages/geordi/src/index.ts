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
// The renderer (call graph, SVG, PDF, speedscope, pprof) lives in `@intro/geordi/render`: it loads
// pdfkit, fontkit and Graphviz (WASM), ~13 MiB of RSS (bench/geordi-weight) that a web process
// which only installs the middleware must not carry. Jobs load it when they render
// (`run-job.ts`), workers at start. Its types are free.
export type {
  CallGraph,
  CallGraphEdge,
  CallGraphNode,
  CallGraphOptions,
  CpuProfile,
  CpuProfileCallFrame,
  CpuProfileNode,
  FunctionKind,
  FunctionSummary,
  ReportMeta,
} from './render/index.js'
