import { formatDuration } from '../format.js'
import { culpritLine } from '../render-text.js'
import type { DogslowReport } from '../types.js'

/**
 * One stderr line per report when no logger is configured: the report file alone is silent, and
 * an app whose slow requests land unseen in `os.tmpdir()` looks as if it had none.
 */
export function writeStderrSummary(report: DogslowReport): void {
  const { request } = report
  const what = [request.method, request.url ?? request.name].filter(Boolean).join(' ')
  const where = report.file === undefined ? 'no report file' : `report ${report.file}`
  process.stderr.write(
    `[dogslow] slow request ${request.id} (${what}) after ${formatDuration(request.elapsedMs)}: ${where}; ${culpritLine(report)}\n`,
  )
}
