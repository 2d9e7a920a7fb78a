import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyPlugin, IntegrationOptions } from '@intro/core'

/** Log levels accepted by `logLevel` / `DOGSLOW_LOG_LEVEL` (`warning` and `critical` are accepted as aliases). */
export type DogslowLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/** Any pino-compatible logger: `logger.warn(object, message)`. */
export interface DogslowLogger {
  debug?(object: object, message?: string): void
  info(object: object, message?: string): void
  warn(object: object, message?: string): void
  error(object: object, message?: string): void
  fatal?(object: object, message?: string): void
  child?(bindings: Record<string, unknown>): DogslowLogger
}

/** Email settings; a report is mailed only when both `to` and `from` are set. */
export interface DogslowEmailOptions {
  /** Recipient address, or a list of them. Env: `DOGSLOW_EMAIL_TO` (comma separated). */
  to: string | readonly string[]
  /** Sender address. Env: `DOGSLOW_EMAIL_FROM`. */
  from: string
  /**
   * SMTP server URL (`smtp://user:pass@host:port`, `smtps://…`).
   * @defaultValue `'smtp://localhost:25'` (or `DOGSLOW_SMTP_URL`)
   */
  smtpUrl?: string
}

/** At most `maxReports` reports per `intervalMs`; the rest are counted and announced. */
export interface DogslowRateLimit {
  /** @defaultValue 20 */
  maxReports: number
  /** @defaultValue 60000 */
  intervalMs: number
}

/** Bounds on everything a report renders. */
export interface DogslowLimits {
  /**
   * Longest rendered value (a local variable, a header, an SQL text), in characters.
   * @defaultValue 500
   */
  maxValueLength?: number
  /**
   * Frames kept per stack (running stack and each operation's stack).
   * @defaultValue 30
   */
  maxFrames?: number
  /**
   * Frames whose local variables are read (innermost first).
   * @defaultValue 10
   */
  maxFramesWithLocals?: number
  /**
   * Local variables shown per frame.
   * @defaultValue 50
   */
  maxLocalsPerFrame?: number
  /**
   * Operations listed per request.
   * @defaultValue 20
   */
  maxOperations?: number
  /**
   * Requests listed in an on-demand dump.
   * @defaultValue 200
   */
  maxDumpRequests?: number
  /**
   * Request headers listed per report; the rest are counted in `report.cut.headers`.
   * @defaultValue 100
   */
  maxHeaders?: number
  /**
   * Query parameters kept in the report's URL; the rest are counted in `report.cut.queryParameters`.
   * @defaultValue 100
   */
  maxQueryParameters?: number
  /**
   * Largest report, in bytes of its JSON. A bigger one loses whole sections (locals first, then
   * operation stacks, headers, outer frames, operations), named in `report.cut.sections`.
   * @defaultValue 262144
   */
  maxReportBytes?: number
}

/** Options of {@link createDogslow}. Each has an environment variable; an explicit option wins. */
export interface DogslowOptions {
  /**
   * Turns the watchdog on or off. Off means no timers, no worker, no work per request.
   * @defaultValue `true` (`DOGSLOW=0` turns it off)
   */
  enabled?: boolean
  /**
   * How long a request may run before it is reported, in milliseconds. Set it just under the
   * process manager's or load balancer's kill timeout.
   * @defaultValue `25000` (`DOGSLOW_TIMER`, in seconds, fractions allowed)
   */
  timerMs?: number
  /**
   * Write one file per report.
   * @defaultValue `true` (`DOGSLOW_LOG_TO_FILE`)
   */
  logToFile?: boolean
  /**
   * Directory of the report files (`slow_request_<time>_<pid>_<id>.log`, mode 0600); created when missing.
   * @defaultValue `os.tmpdir()` (`DOGSLOW_OUTPUT`)
   */
  outputDir?: string
  /**
   * Mail each report.
   * @defaultValue off (`DOGSLOW_EMAIL_TO` + `DOGSLOW_EMAIL_FROM` + `DOGSLOW_SMTP_URL`)
   */
  email?: DogslowEmailOptions | false
  /**
   * A pino-compatible logger that receives each report (text in `msg`, structured report in `dogslow`).
   * @defaultValue none; `DOGSLOW_LOGGER=<name>` logs pino-format JSON lines to stderr under that name
   */
  logger?: DogslowLogger | false
  /**
   * Write one line per report to stderr: where the report file is and its `Culprit:` line, so a
   * report is seen without a logger. `false` silences it.
   * @defaultValue `true` unless a logger is configured or `logger: false` (`DOGSLOW_STDERR_SUMMARY`)
   */
  stderrSummary?: boolean
  /**
   * Level of report log lines.
   * @defaultValue `'warn'` (`DOGSLOW_LOG_LEVEL`, default `warning`)
   */
  logLevel?: DogslowLogLevel | 'warning' | 'critical'
  /**
   * Requests never reported, by route: a string is a route template (`'/health'`, `'GET /health'`)
   * or a job's name, matched exactly; a RegExp is tested against the same (`/^\/admin\//`). A
   * request no route matched (a 404, a static file served outside any route) is never exempt.
   * @defaultValue `[]` (`DOGSLOW_IGNORE_URLS`, comma separated, `/regex/` for patterns)
   */
  ignoreUrls?: ReadonlyArray<string | RegExp>
  /**
   * Include the local variables of the blocked code. Verbose, and they may hold secrets
   * (secret-named variables are redacted, but not every secret has a telling name).
   * @defaultValue `false` (`DOGSLOW_STACK_VARS`)
   */
  stackVars?: boolean
  /**
   * Called with each report (structured) and its text.
   * @example onReport: (report) => myQueue.push(report)
   */
  onReport?: (report: DogslowReport, text: string) => void
  /** Called when a reported request finally completes or is aborted. */
  onComplete?: (completion: DogslowCompletion) => void
  /**
   * Signal that writes a report of every request in flight. `SIGUSR1` is reserved by Node's inspector.
   * @defaultValue `false` (`DOGSLOW_SIGNAL`, e.g. `SIGUSR2`)
   */
  signal?: NodeJS.Signals | false
  /**
   * Report rate limit; `false` for none.
   * @defaultValue `{ maxReports: 20, intervalMs: 60000 }` (`DOGSLOW_RATE_LIMIT=20/60`: reports per seconds)
   */
  rateLimit?: DogslowRateLimit | false
  /**
   * Extra names (of headers, query parameters, variables, properties) whose values are redacted,
   * on top of authorization, cookie, password, token, secret, api key…; `false` disables redaction.
   * @defaultValue core's list (`DOGSLOW_REDACT`, comma separated extra names)
   */
  redactKeys?: RegExp | readonly string[] | false
  /** Bounds on rendered values. */
  limits?: DogslowLimits
  /**
   * Watch for a blocked event loop from a worker thread, so requests stuck in synchronous code
   * are still reported on time.
   * @defaultValue `true` (`DOGSLOW_WATCH_BLOCKED`)
   */
  watchBlocked?: boolean
  /**
   * Use `node:inspector` to read the stack and locals of blocked code. Without it a blocked
   * request is still reported on time, without stack, saying why.
   * @defaultValue `true` (`DOGSLOW_INSPECTOR`)
   */
  inspector?: boolean
  /**
   * Record where long `setTimeout`s (at least `timerMs / 4`, at most 1 s) were created in a request,
   * so a request sleeping on a timer is reported with the line that set it.
   * @defaultValue `true` (`DOGSLOW_TRACE_TIMERS`)
   */
  traceTimers?: boolean
  /**
   * Record the app's queries, commands, outbound calls, child processes and unbounded file reads
   * as operations, with no wiring: core's integrations for pg, mysql2, ioredis, `fetch`,
   * `node:http(s)`, `childProcess` and `fs` (FIFOs, terminals), for modules loaded before
   * or after the watchdog. `false` turns them all off; an object turns single ones off
   * (`{ mysql2: false }`). Shared with `@intro/stats`: each call is recorded once.
   * @defaultValue `true` (`DOGSLOW_INTEGRATIONS`)
   */
  integrations?: boolean | IntegrationOptions
  /**
   * Environment to read settings from.
   * @defaultValue `process.env`
   */
  env?: Record<string, string | undefined>
  /** Passed to core's adapters: trust inbound `X-Request-ID` / `traceparent`. */
  trustUpstreamIds?: boolean
  /** Passed to core's adapters: header echoing the correlation id. */
  responseHeader?: string | false
}

/** The request a report is about. Headers and URL are redacted. */
export interface ReportRequest {
  id: string
  method?: string
  url?: string
  route?: string
  name?: string
  args?: string[]
  /** `Date.now()` when it started. */
  startTime: number
  elapsedMs: number
  headers?: Record<string, string>
  tags?: Record<string, string>
}

/** Something the request is waiting on. */
export interface ReportOperation {
  /** `'sql'`, `'http'`, `'redis'`, `'timer'`, … */
  kind: string
  description: string
  startTime: number
  pendingMs: number
  /**
   * Where it began, innermost frame first, async frames included (`at async …`); runs of
   * library, Node and toolkit frames are folded into one line (`… 14 frames in router, express`).
   */
  stack: string[]
}

/** A local variable, rendered and bounded. */
export interface ReportLocal {
  name: string
  value: string
}

/** A frame of the blocked JavaScript stack. */
export interface ReportFrame {
  functionName: string
  url: string
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  locals?: ReportLocal[]
}

/** The app's line the request is held by: the innermost app frame of its wait or of the blocked stack. */
export interface ReportCulprit {
  functionName: string
  /** File path or URL, as the stack names it. */
  file: string
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  /**
   * Where it was found: `stack` (the blocked JavaScript stack), `operation` (where a tracked
   * wait began), `timer` (where a long timer was set), `suspended` (the line an untracked
   * `await` is suspended at).
   */
  source: 'stack' | 'operation' | 'timer' | 'suspended'
}

/** CPU the main thread used during a stall, telling computing from waiting in a system call. */
export interface ReportCpu {
  /** CPU time of the main thread (of the process where the thread's own is not available), in ms. */
  cpuMs: number
  /** Wall time it is compared with, in ms. */
  wallMs: number
  /** `computing`: the thread used most of the stall; `waiting`: it sat in a system call (sleep, a lock, synchronous I/O). */
  verdict: 'computing' | 'waiting'
  /** `thread`: `process.threadCpuUsage()`; `process`: `process.cpuUsage()` (includes other threads). */
  measuredBy: 'thread' | 'process'
}

/** What the event loop was doing when the report was taken. */
export interface ReportLoop {
  /** `responsive`: the request is waiting; `blocked`: JS code holds the loop; `blocked-native`: native code does. */
  state: 'responsive' | 'blocked' | 'blocked-native'
  /** How long the loop had been blocked (since the last heartbeat). */
  blockedForMs?: number
  /** When another request's code blocks the loop, that request. */
  blockedBy?: { id: string; method?: string; url?: string }
  /** Why the stack or the locals are missing, when they are. */
  note?: string
  /** Blocked reports: whether the thread was computing or waiting during the stall. */
  cpu?: ReportCpu
}

/** One slow-request report, as JSON for log pipelines. */
export interface DogslowReport {
  type: 'dogslow.report'
  version: 1
  /** `deadline`: reached `timerMs`; `on-demand`: `dumpAll()` or the signal. */
  reason: 'deadline' | 'on-demand'
  /** `Date.now()` when intercepted. */
  interceptedAt: number
  request: ReportRequest
  process: { hostname: string; pid: number; ppid: number; threadId: number }
  loop: ReportLoop
  /** The app line the request is held by; absent when nothing names one. */
  culprit?: ReportCulprit
  /** In-flight operations of this request only. */
  waitingOn: ReportOperation[]
  /** The running JavaScript stack, innermost first (blocked case only), unfolded. */
  frames?: ReportFrame[]
  /** Set when local variables were not captured, saying why or how to turn them on. */
  localsNote?: string
  /** Reports dropped by the rate limit since the previous one written. */
  suppressedBefore?: number
  /** Report file, when the file sink wrote one. */
  file?: string
  /** What was left out to keep the report within `limits` (absent when nothing was). */
  cut?: ReportCut
}

/** What a report left out, and why: see {@link DogslowLimits}. */
export interface ReportCut {
  /** Request headers past `maxHeaders`. */
  headers?: number
  /** Query parameters past `maxQueryParameters`. */
  queryParameters?: number
  /** Sections dropped to fit `maxReportBytes`, in the order they were dropped. */
  sections?: string[]
  /** Size of the report's JSON before sections were dropped. */
  originalBytes?: number
}

/** One on-demand dump: every request in flight. */
export interface DogslowDump {
  type: 'dogslow.dump'
  version: 1
  interceptedAt: number
  process: DogslowReport['process']
  requests: DogslowReport[]
  /** Requests in flight that were not listed (over `limits.maxDumpRequests`). */
  omitted: number
  file?: string
}

/** Published when a reported request completes or aborts. */
export interface DogslowCompletion {
  requestId: string
  method?: string
  url?: string
  /** Absent when the client went away first. */
  statusCode?: number
  aborted: boolean
  durationMs: number
  file?: string
  /**
   * For a request reported with no culprit (an untracked wait): when and where its own code ran
   * again after the report (`null`: it never did, e.g. a promise that never settled).
   */
  resumed?: { atMs: number; via: string; where: ReportCulprit } | null
}

/** What the watchdog holds right now (see {@link Dogslow.stats}). */
export interface DogslowStats {
  /** Requests in flight under watch, not yet at their deadline. */
  watching: number
  /** Requests reported and still running (their follow-up is pending). */
  reported: number
  /** Report deliveries (files, email, callbacks) not finished yet. */
  deliveries: number
}

/** The installed watchdog. */
export interface Dogslow {
  /** Whether the watchdog does anything (`enabled` / `DOGSLOW`). */
  readonly enabled: boolean
  /** The settings in effect after options and environment were merged. */
  readonly settings: Readonly<ResolvedSettings>
  /** Express / Connect middleware; install it first. */
  express(): (req: unknown, res: unknown, next: (error?: unknown) => void) => void
  /** Fastify plugin; register it first (`await app.register(watchdog.fastify())`). */
  fastify(): FastifyPlugin
  /** Koa middleware; use it first. */
  koa(): (ctx: unknown, next: () => Promise<unknown>) => Promise<void>
  /** Wraps a `node:http` request listener. */
  wrap(handler: (req: IncomingMessage, res: ServerResponse) => unknown): (req: IncomingMessage, res: ServerResponse) => void
  /** Instruments an existing `node:http` server (after its listeners were added). */
  instrument<S>(server: S): S
  /** Counts of what the watchdog holds; all zero once no request is in flight and deliveries are done. */
  stats(): DogslowStats
  /** Writes one report of every request in flight right now and returns it. */
  dumpAll(): Promise<DogslowDump>
  /** Stops timers, the worker and the signal handler; pending sink deliveries finish. */
  close(): Promise<void>
}

/** Settings after validation, options and environment merged. */
export interface ResolvedSettings {
  enabled: boolean
  timerMs: number
  logToFile: boolean
  outputDir: string
  email: { to: string[]; from: string; smtpUrl: string } | undefined
  logger: DogslowLogger | undefined
  stderrSummary: boolean
  logLevel: DogslowLogLevel
  ignoreNames: ReadonlySet<string>
  ignorePatterns: readonly RegExp[]
  stackVars: boolean
  onReport: DogslowOptions['onReport']
  onComplete: DogslowOptions['onComplete']
  signal: NodeJS.Signals | undefined
  rateLimit: DogslowRateLimit | undefined
  isSecret: (name: string) => boolean
  redact: boolean
  limits: Required<DogslowLimits>
  watchBlocked: boolean
  inspector: boolean
  traceTimers: boolean
  traceTimersMinMs: number
  /** `false`: off; otherwise which integrations (all unless set to `false`). */
  integrations: IntegrationOptions | false
  trustUpstreamIds: boolean | undefined
  responseHeader: string | false | undefined
}
