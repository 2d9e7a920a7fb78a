// The declarations use Node's types (node:http, NodeJS.*, AbortSignal): a consumer compiling with `"types": []` still gets them.
/// <reference types="node" preserve="true" />
export { CAPTURE_CHANNEL, createDogslow } from './dogslow.js'
export { COMPLETE_CHANNEL, REPORT_CHANNEL } from './deliver.js'
export { DogslowError, DogslowErrorCode } from './errors.js'
export { renderReport } from './render-text.js'
export type {
  Dogslow,
  DogslowCompletion,
  DogslowDump,
  DogslowEmailOptions,
  DogslowLimits,
  DogslowLogger,
  DogslowLogLevel,
  DogslowOptions,
  DogslowRateLimit,
  DogslowReport,
  DogslowStats,
  ReportCut,
  ReportCpu,
  ReportCulprit,
  ReportFrame,
  ReportLocal,
  ReportLoop,
  ReportOperation,
  ReportRequest,
  ResolvedSettings,
} from './types.js'
