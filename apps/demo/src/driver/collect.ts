import { basename, join } from 'node:path'
import type { SqlLogEntry } from '../database/pglite-server.js'
import type { OutputDirs } from '../output-dir.js'
import { type Stack, usesQueue } from '../stack.js'
import type { ScenarioResult } from './drive.js'
import { listFiles, readJsonLines, readText } from './files.js'
import type {
  CowSummary,
  DogslowSummary,
  GeordiSummary,
  ReportSummary,
  SqlStatement,
  SqlSummary,
  StatsdSummary,
} from './summary.js'

/** The function `/trending` blocks the event loop in; its report must name it. */
export const BLOCKING_FUNCTION = 'computeTrendingScores'
/** The function `/trending-lite` spends its time in; its profile must show it. */
export const HOT_FUNCTION = 'rankHeadlines'

const EXCERPT_LINES = 60
const EXCERPT_WIDTH = 140

function requestIdsOf(results: readonly ScenarioResult[], key: string): string[] {
  const ids = results.find((r) => r.key === key)?.requests.map((r) => r.requestId) ?? []
  return ids.filter((id): id is string => id !== undefined)
}

const FRAMES_KEPT = 3

/** Keeps the first frames of each `at …` run: the report's operation stacks run to 30 frames. */
function collapseStacks(lines: readonly string[]): string[] {
  const out: string[] = []
  let run = 0
  let hidden = 0
  let indent = ''
  const flush = () => {
    if (hidden > 0) out.push(`${indent}… ${hidden} more frame(s)`)
    run = 0
    hidden = 0
  }
  for (const line of lines) {
    const frame = /^(\s+)at /.exec(line)
    if (frame === null) {
      flush()
      out.push(line)
      continue
    }
    indent = frame[1] ?? ''
    if (run++ < FRAMES_KEPT) out.push(line)
    else hidden++
  }
  flush()
  return out
}

function excerpt(text: string): string {
  const lines = collapseStacks(text.trimEnd().split('\n'))
  const kept = lines.slice(0, EXCERPT_LINES).map((line) => (line.length > EXCERPT_WIDTH ? `${line.slice(0, EXCERPT_WIDTH - 1)}…` : line))
  if (lines.length > EXCERPT_LINES) kept.push(`… (${lines.length - EXCERPT_LINES} more lines in the file)`)
  return kept.join('\n')
}

function reportFor(files: readonly string[], requestId: string | undefined): (ReportSummary & { text: string }) | undefined {
  if (requestId === undefined) return undefined
  for (const path of files) {
    const text = readText(path)
    if (basename(path).includes(requestId) || text.includes(requestId)) return { path, requestId, excerpt: excerpt(text), text }
  }
  return undefined
}

export function collectDogslow(dirs: OutputDirs, results: readonly ScenarioResult[]): DogslowSummary {
  const reports = listFiles(dirs.dogslow)
  const summary: DogslowSummary = { dir: dirs.dogslow, reports }
  const blocking = reportFor(reports, requestIdsOf(results, 'blockingLoop')[0])
  if (blocking !== undefined) {
    const { text, ...rest } = blocking
    summary.blocking = { ...rest, namesBlockingFunction: text.includes(BLOCKING_FUNCTION) }
  }
  const slowSql = reportFor(reports, requestIdsOf(results, 'slowSql')[0])
  if (slowSql !== undefined) {
    const { text, ...rest } = slowSql
    summary.slowSql = { ...rest, showsSql: text.includes('pg_sleep') }
  }
  return summary
}

export function collectCow(results: readonly ScenarioResult[]): CowSummary {
  const requests = results.find((r) => r.key === 'evilRegex')?.requests ?? []
  const caught = requests.filter((r) => r.status === 422)
  const first = caught[0]
  let message: string | undefined
  try {
    message = first === undefined ? undefined : (JSON.parse(first.body) as { error?: string }).error
  } catch {
    message = first?.body
  }
  return { timeoutsCaught: caught.length, message, requestMs: first?.durationMs }
}

/** Lines worth showing first: request timers, SQL timers, the watchdog's counter. */
const INTERESTING = [/\.http\.request\..*\.(mean|count) /, /\.sql\./, /dogslow/, /\.http\.response\./, /event_loop|eventloop/]

export function collectStatsd(stack: Stack): StatsdSummary {
  const all = readText(stack.statsd.flushLogPath)
    .split('\n')
    .filter((line) => line.trim() !== '')
  const picked: string[] = []
  for (const pattern of INTERESTING) {
    for (const line of all) {
      if (picked.length >= 10) break
      if (pattern.test(line) && !picked.includes(line) && picked.filter((p) => pattern.test(p)).length < 3) picked.push(line)
    }
  }
  if (picked.length === 0) picked.push(...all.slice(0, 8))
  return {
    mode: stack.statsd.mode,
    path: stack.statsd.flushLogPath,
    failure: stack.statsd.failure,
    lines: picked,
    totalLines: all.length,
  }
}

export function collectSql(stack: Stack, results: readonly ScenarioResult[]): SqlSummary {
  const entries = readJsonLines<SqlLogEntry>(stack.database.sqlLogPath)
  const statements: SqlStatement[] = []
  for (const scenario of ['article', 'slowSql', 'search']) {
    for (const requestId of requestIdsOf(results, scenario).slice(0, 1)) {
      const entry = entries.find((e) => e.sql.includes(requestId))
      if (entry !== undefined) statements.push({ scenario, requestId, sql: entry.sql })
    }
  }
  return { path: stack.database.sqlLogPath, database: stack.database.kind, totalStatements: entries.length, statements }
}

export function collectGeordi(dirs: OutputDirs, results: readonly ScenarioResult[]): GeordiSummary {
  const scenario = results.find((r) => r.key === 'geordi')
  const jobId = scenario?.geordi?.jobId
  const files = listFiles(jobId === undefined ? dirs.geordi : join(dirs.geordi, jobId))
  const find = (ext: string) => files.find((f) => f.endsWith(ext))
  const svg = find('.svg')
  return {
    mode: usesQueue() ? 'queue' : 'inline',
    dir: dirs.geordi,
    jobId,
    downloadedPdfBytes: scenario?.geordi?.pdfBytes ?? 0,
    pdf: find('.pdf'),
    svg,
    cpuprofile: find('.cpuprofile'),
    hotFunction: HOT_FUNCTION,
    hotFunctionInGraph: readText(svg).includes(HOT_FUNCTION),
    detail: scenario?.problem,
  }
}
