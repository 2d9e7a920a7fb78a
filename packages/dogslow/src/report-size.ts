import type { DogslowReport } from './types.js'

/**
 * Bounds on what one hostile request can make a report cost. Each value is already cut to
 * `maxValueLength`, but their number was not: 10,000 headers made one report 5.4 MB, written to
 * disk, mailed and logged. What is cut is said in `report.cut`, never dropped silently.
 */

/** Keeps the first `max` query parameters of `url`; returns the URL and how many were cut. */
export function limitQueryParameters(url: string, max: number): { url: string; cut: number } {
  const queryAt = url.indexOf('?')
  if (queryAt < 0) return { url, cut: 0 }
  const hashAt = url.indexOf('#', queryAt)
  const query = url.slice(queryAt + 1, hashAt < 0 ? url.length : hashAt)
  const pairs = query.split('&')
  if (pairs.length <= max) return { url, cut: 0 }
  return { url: `${url.slice(0, queryAt + 1)}${pairs.slice(0, max).join('&')}`, cut: pairs.length - max }
}

const byteLength = (report: DogslowReport) => Buffer.byteLength(JSON.stringify(report))

// Cheapest information first: locals are the bulk of a big report and the least needed to see
// what the request waits on; the request line, the loop state and the innermost frames stay.
const SHRINK_STEPS: Array<{ section: string; apply: (report: DogslowReport) => boolean }> = [
  {
    section: 'local variables',
    apply: (report) => {
      const had = report.frames?.some((frame) => frame.locals !== undefined) ?? false
      for (const frame of report.frames ?? []) delete frame.locals
      return had
    },
  },
  {
    section: 'operation stacks',
    apply: (report) => {
      const had = report.waitingOn.some((op) => op.stack.length > 3)
      for (const op of report.waitingOn) op.stack = op.stack.slice(0, 3)
      return had
    },
  },
  {
    section: 'request headers',
    apply: (report) => {
      const had = report.request.headers !== undefined
      delete report.request.headers
      return had
    },
  },
  {
    section: 'frames past the 5 innermost',
    apply: (report) => {
      const had = (report.frames?.length ?? 0) > 5
      if (report.frames !== undefined) report.frames = report.frames.slice(0, 5)
      return had
    },
  },
  {
    section: 'operations past the 5 oldest',
    apply: (report) => {
      const had = report.waitingOn.length > 5
      report.waitingOn = report.waitingOn.slice(0, 5)
      return had
    },
  },
]

/**
 * Shrinks `report` in place until its JSON fits `maxBytes`, dropping whole sections in a fixed
 * order and naming each in `report.cut.sections`.
 */
export function fitReport(report: DogslowReport, maxBytes: number): DogslowReport {
  let size = byteLength(report)
  if (size <= maxBytes) return report
  const originalBytes = size
  const sections: string[] = []
  for (const step of SHRINK_STEPS) {
    if (step.apply(report)) sections.push(step.section)
    size = byteLength(report)
    if (size <= maxBytes) break
  }
  report.cut = { ...report.cut, sections, originalBytes }
  return report
}
