/** What a run found, written to `<out>/summary.json` and printed. Paths are absolute. */
export interface DemoSummary {
  ok: boolean
  /** One sentence per check that did not hold. */
  failures: string[]
  durationMs: number
  outDir: string
  appUrl: string
  scenarios: ScenarioSummary[]
  dogslow: DogslowSummary
  cow: CowSummary
  statsd: StatsdSummary
  sql: SqlSummary
  geordi: GeordiSummary
  logs: { app: string; database: string | undefined; statsd: string }
}

export interface ScenarioSummary {
  key: string
  label: string
  path: string
  statuses: number[]
  requestIds: string[]
  slowestMs: number
  problem?: string
}

export interface ReportSummary {
  path: string
  requestId: string
  /** The report's text, trimmed for the terminal. */
  excerpt: string
}

export interface DogslowSummary {
  dir: string
  reports: string[]
  /** The report of the request that blocked the event loop. */
  blocking?: ReportSummary & { namesBlockingFunction: boolean }
  /** The report of the request waiting on slow SQL. */
  slowSql?: ReportSummary & { showsSql: boolean }
}

export interface CowSummary {
  /** Evil-regex requests the app answered with 422 after cow interrupted the regex. */
  timeoutsCaught: number
  /** The app's error message for the timed-out pattern. */
  message?: string
  /** How long the interrupted request took, end to end. */
  requestMs?: number
}

export interface StatsdSummary {
  mode: 'daemon' | 'capture'
  path: string
  failure?: string
  /** A selection of flushed lines (Graphite plaintext) or raw datagrams. */
  lines: string[]
  totalLines: number
}

export interface SqlStatement {
  scenario: string
  requestId: string
  sql: string
}

export interface SqlSummary {
  /** JSON lines written by the database server itself; undefined with an external DATABASE_URL. */
  path: string | undefined
  database: 'embedded' | 'external'
  totalStatements: number
  /** Statements received by the database that carry a scenario request's id. */
  statements: SqlStatement[]
}

export interface GeordiSummary {
  /** `inline` (profiled in the web process) or `queue` (BullMQ worker, with REDIS_URL). */
  mode: 'inline' | 'queue'
  dir: string
  /** The profiling job's id, from the `X-Geordi-Job` header. */
  jobId?: string
  /** Size of the PDF downloaded over HTTP from the result page's link. */
  downloadedPdfBytes: number
  pdf?: string
  svg?: string
  cpuprofile?: string
  /** The function the profile should be dominated by. */
  hotFunction: string
  /** The SVG call graph names the hot function. */
  hotFunctionInGraph: boolean
  /** The page the admin was shown (result page URL or error). */
  detail?: string
}
