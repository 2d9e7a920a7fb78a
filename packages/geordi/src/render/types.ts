import type { ReportRedactOptions } from './redact.js'

/** Where a V8 profile node's code lives, as V8 reports it (0-based line and column). */
export interface CpuProfileCallFrame {
  functionName: string
  scriptId: string | number
  url: string
  /** 0-based; -1 for native and synthetic frames such as `(program)`. */
  lineNumber: number
  /** 0-based; -1 for native and synthetic frames. */
  columnNumber: number
}

/** One node of the V8 call tree: a call frame reached through one particular stack. */
export interface CpuProfileNode {
  id: number
  callFrame: CpuProfileCallFrame
  /** Samples taken while this node was on top of the stack. */
  hitCount?: number
  /** Ids of the nodes this node called. */
  children?: number[]
  /** Id of the calling node; some exporters write this instead of `children`. */
  parent?: number
  positionTicks?: { line: number; ticks: number }[]
}

/**
 * A V8 `.cpuprofile`, as written by `node --cpu-prof`, the inspector's `Profiler.stop`
 * and Chrome DevTools. Times are in microseconds.
 */
export interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  endTime: number
  /** Node id on top of the stack at each sample. */
  samples?: number[]
  /** Microseconds since the previous sample (the first: since `startTime`). */
  timeDeltas?: number[]
}

/** Options of {@link buildCallGraph}. */
export interface CallGraphOptions {
  /**
   * Most functions drawn; the ones with the least total time go first.
   * A dot layout past ~80 boxes stops being readable on a page.
   * @defaultValue 80
   */
  maxNodes?: number
  /**
   * Functions whose total time is below this fraction of the profile's time are dropped
   * (gprof2dot's `--node-thres`, 0.5%).
   * @defaultValue 0.005
   */
  nodeThreshold?: number
  /**
   * Calls whose time is below this fraction of the profile's time are dropped
   * (gprof2dot's `--edge-thres`, 0.1%).
   * @defaultValue 0.001
   */
  edgeThreshold?: number
  /**
   * Keep `(program)`: time V8 spent in native code it could not attribute to a JS function.
   * @defaultValue false
   */
  includeProgram?: boolean
  /**
   * Keep `(idle)`: time the thread waited for I/O. Off so percentages are of busy time.
   * @defaultValue false
   */
  includeIdle?: boolean
  /**
   * Keep `(garbage collector)`.
   * @defaultValue true
   */
  includeGarbageCollector?: boolean
}

/** What a function in the call graph is: ordinary code, or one of V8's synthetic frames. */
export const FunctionKinds = {
  function: 'function',
  native: 'native',
  program: 'program',
  idle: 'idle',
  garbageCollector: 'garbage-collector',
} as const

/** See {@link FunctionKinds}. */
export type FunctionKind = (typeof FunctionKinds)[keyof typeof FunctionKinds]

/** One function of the profile, every call site merged (key: name, url, line, column). */
export interface CallGraphNode {
  /** Stable within one graph: `f1`, `f2`... in order of first appearance. */
  id: string
  kind: FunctionKind
  /** `(anonymous)` when V8 reports no name. */
  functionName: string
  url: string
  /** 1-based, as editors show it; 0 when unknown. */
  lineNumber: number
  /** 1-based; 0 when unknown. */
  columnNumber: number
  /** Short location for labels: `routes/users.js:42`, `node:internal/fs/utils:180`, `native`. */
  location: string
  /** Time with this function on top of the stack. */
  selfMs: number
  /** Time with this function anywhere on the stack, recursion counted once. */
  totalMs: number
  /** `selfMs / graph.totalMs`. */
  selfFraction: number
  /** `totalMs / graph.totalMs`. */
  totalFraction: number
  /** Samples with this function on top of the stack. */
  samples: number
}

/** Time spent in `to` while called from `from`. */
export interface CallGraphEdge {
  from: string
  to: string
  timeMs: number
  /** `timeMs / graph.totalMs`. */
  fraction: number
}

/** A profile reduced to functions and calls, pruned to stay readable. */
export interface CallGraph {
  /** Functions kept after pruning, most total time first. */
  nodes: CallGraphNode[]
  /** Calls between kept functions, most time first. */
  edges: CallGraphEdge[]
  /** Every function of the profile (before pruning), most total time first. */
  functions: CallGraphNode[]
  /** Time the percentages are of: every sample except the excluded synthetic frames. */
  totalMs: number
  /** `endTime - startTime` of the profile. */
  durationMs: number
  /** Time in `(idle)`, whether or not it is included. */
  idleMs: number
  /** Number of samples in the profile. */
  sampleCount: number
  /** Median time between samples. */
  sampleIntervalMs: number
  /** What pruning removed. */
  pruned: { nodes: number; edges: number }
  /** The options the graph was built with, defaults filled in. */
  options: Required<CallGraphOptions>
}

/** Options of {@link callGraphToDot}. */
export interface DotOptions {
  /**
   * Caption drawn under the graph (already redacted by the caller).
   * @defaultValue none
   */
  title?: string
  /**
   * Longest function name shown before it is cut with `…`.
   * @defaultValue 48
   */
  maxNameLength?: number
  /**
   * Point size of node labels; 14pt is ~12 px tall on a page shown at 60 dpi.
   * @defaultValue 14
   */
  fontSize?: number
  /**
   * `TB` puts callers above callees (gprof2dot's layout, best for deep stacks); `LR` puts
   * them left of callees, which packs wide fan-outs far tighter (boxes stack by height).
   * @defaultValue 'TB'
   */
  rankdir?: 'TB' | 'LR'
}

/** Header values as Node gives them. */
export type HeaderValues = Record<string, string | string[] | number | undefined>

/** What the report's first page says about the profiled request. */
export interface ReportMeta {
  /** The profiled request; omitted for a profile that did not come from one (the CLI). */
  request?: { method: string; url: string; headers?: HeaderValues }
  response?: { statusCode: number; headers?: HeaderValues; sizeBytes?: number }
  timings?: {
    /** Wall-clock time of the profiled request. */
    wallMs?: number
    /** CPU time (user + system) the process used meanwhile. */
    cpuMs?: number
    /** Time the job waited in the queue. */
    queuedMs?: number
  }
  workerHost?: string
  createdAt?: Date
  /** Where the profile came from (a file path), printed on the first page. */
  source?: string
  /** @defaultValue `'CPU profile'` */
  title?: string
}

/** One row of the "top functions" tables. */
export interface FunctionSummary {
  functionName: string
  location: string
  url: string
  lineNumber: number
  selfMs: number
  totalMs: number
  selfFraction: number
  totalFraction: number
}

/** Input of {@link renderPdf}. */
export interface RenderPdfInput {
  graph: CallGraph
  /** The call graph as SVG, from {@link renderSvg}. */
  svg: string
  meta: ReportMeta
  redact?: ReportRedactOptions
  /**
   * Rows in each "top functions" table.
   * @defaultValue 15
   */
  topCount?: number
}

/** Input of {@link renderProfileReport}. */
export interface RenderReportInput {
  profile: CpuProfile
  meta: ReportMeta
  /** Created when missing. */
  outDir: string
  /**
   * File name without extension for the three files.
   * @defaultValue `profile-<createdAt as yyyymmdd-hhmmss>`
   */
  baseName?: string
  callGraph?: CallGraphOptions
  redact?: ReportRedactOptions
  /**
   * The file `profile` was read from: the raw profile is then copied byte for byte (or left
   * alone when it already is the output path) instead of serialised again.
   */
  profileFile?: string
  /** V8's sampling interval the profile was taken with: pprof's `period`. @defaultValue the median gap between samples */
  samplingIntervalUs?: number
  /** Called as each stage starts: `graph`, `layout`, `pdf`, `write`. */
  onProgress?: (stage: RenderStage) => void
  /**
   * Stops the render before its next stage: the promise rejects with the signal's reason and
   * nothing more is written (a stage already running finishes first).
   */
  signal?: AbortSignal
}

/** Stages reported by {@link RenderReportInput.onProgress}. */
export type RenderStage = 'graph' | 'layout' | 'pdf' | 'write'

/** Result of {@link renderProfileReport}. */
export interface RenderReportResult {
  pdfPath: string
  svgPath: string
  profilePath: string
  /** The flame graph (SVG). */
  flamePath: string
  /** The profile in speedscope's file format. */
  speedscopePath: string
  /** The profile as gzipped pprof `profile.proto`. */
  pprofPath: string
  graph: CallGraph
  topSelf: FunctionSummary[]
  topTotal: FunctionSummary[]
  /** Time taken by each stage. */
  timingsMs: { graph: number; layout: number; pdf: number; write: number }
}
