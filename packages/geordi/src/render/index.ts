export { buildCallGraph } from './call-graph.js'
export { callGraphToDot } from './dot.js'
export { InvalidProfileError, RenderError, RenderErrorCodes } from './errors.js'
export { type FlameGraphOptions, fitFlameLabel, renderFlameGraph } from './flame-svg.js'
export { heatColor } from './heat.js'
export { type CallGraphLayout, layoutCallGraph } from './layout.js'
export { defaultCallGraphOptions } from './options.js'
export { renderPdf } from './pdf.js'
export { parseCpuProfile, readCpuProfile } from './profile.js'
export type { ReportRedactOptions } from './redact.js'
export { renderProfileReport } from './report.js'
export { type PprofOptions, toPprof } from './pprof.js'
export { renderSvg } from './svg.js'
export { type SpeedscopeFile, type SpeedscopeFrame, toSpeedscope } from './speedscope.js'
export { topFunctions } from './top-functions.js'
export { FunctionKinds } from './types.js'
export type {
  CallGraph,
  CallGraphEdge,
  CallGraphNode,
  CallGraphOptions,
  CpuProfile,
  CpuProfileCallFrame,
  CpuProfileNode,
  DotOptions,
  FunctionKind,
  FunctionSummary,
  HeaderValues,
  RenderPdfInput,
  RenderReportInput,
  RenderReportResult,
  RenderStage,
  ReportMeta,
} from './types.js'
