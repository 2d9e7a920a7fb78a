import { formatBytes, formatMs, formatPercent } from './format.js'
import { type Column, fonts, grey, heading, keyValues, pdfSafe, table } from './pdf-text.js'
import { redactReportHeaders } from './redact.js'
import { topFunctions } from './top-functions.js'
import type { CallGraph, FunctionSummary, HeaderValues, ReportMeta } from './types.js'

// Headers are secondary on this page; a request with 80 cookies should not push the
// top-function tables to page three.
const maxHeaders = 25
// What the sections below the headers need at least: timings (~11 rows), the two tables with a
// few rows each, the note. Headers get whatever the page has left above that.
const reservedBelowHeaders = 380
const rowHeight = 11
const tableChrome = 8 + 13 + 2 + rowHeight // heading and column titles
const maxHeaderValue = 300

const clip = (text: string) => (text.length > maxHeaderValue ? `${text.slice(0, maxHeaderValue)}…` : text)

type Matcher = (name: string) => boolean

/** One line naming what was profiled: `GET https://…`, else the profile's file. */
export function describeTarget(meta: ReportMeta): string {
  if (meta.request) return `${meta.request.method} ${meta.request.url}`
  return meta.source ?? meta.title ?? 'CPU profile'
}

function headerRows(headers: HeaderValues | undefined, isSecret: Matcher) {
  const entries = redactReportHeaders(headers, isSecret)
  const rows = entries.slice(0, maxHeaders).map(([name, value]) => [name, clip(value)] as const)
  if (entries.length > maxHeaders) rows.push(['…', `${entries.length - maxHeaders} more headers`])
  return rows
}

function timingRows(graph: CallGraph, meta: ReportMeta): (readonly [string, string])[] {
  const rows: (readonly [string, string])[] = []
  const { timings } = meta
  if (timings?.wallMs !== undefined) rows.push(['Wall time', formatMs(timings.wallMs)])
  if (timings?.cpuMs !== undefined) rows.push(['CPU time', formatMs(timings.cpuMs)])
  if (timings?.queuedMs !== undefined) rows.push(['Queued', formatMs(timings.queuedMs)])
  rows.push(['Profile duration', formatMs(graph.durationMs)])
  rows.push(['Sampled time', `${formatMs(graph.totalMs)} (percentages below are of this)`])
  rows.push(['Idle', formatMs(graph.idleMs)])
  rows.push(['Samples', `${graph.sampleCount} every ~${formatMs(graph.sampleIntervalMs)}`])
  if (meta.workerHost) rows.push(['Worker', meta.workerHost])
  if (meta.createdAt) rows.push(['Created', meta.createdAt.toISOString()])
  if (meta.source) rows.push(['Profile', meta.source])
  return rows
}

const topColumns: Column[] = [
  { title: 'Self', width: 52, align: 'right' },
  { title: 'Self %', width: 42, align: 'right' },
  { title: 'Total', width: 52, align: 'right' },
  { title: 'Total %', width: 44, align: 'right' },
  { title: 'Function', width: 170 },
  { title: 'Location', width: 163 },
]

const topRow = (fn: FunctionSummary) => [
  formatMs(fn.selfMs),
  formatPercent(fn.selfFraction),
  formatMs(fn.totalMs),
  formatPercent(fn.totalFraction),
  fn.functionName,
  fn.location,
]

function graphNote(graph: CallGraph): string {
  const { nodeThreshold, edgeThreshold, maxNodes } = graph.options
  return (
    `The call graph shows ${graph.nodes.length} of ${graph.functions.length} functions ` +
    `(at most ${maxNodes}, each with at least ${formatPercent(nodeThreshold)} of the sampled time; calls under ` +
    `${formatPercent(edgeThreshold)} hidden). Colour goes from blue (cold) to red (hot) by total time. ` +
    'The .cpuprofile saved beside this PDF opens in Chrome DevTools (Performance panel); the speedscope and pprof files in speedscope and pprof.'
  )
}

/**
 * Writes the first page: request, response, timings, top functions by self and total time.
 * `meta.request.url` and `meta.title` arrive redacted; headers are redacted here.
 */
export function writeSummary(
  doc: PDFKit.PDFDocument,
  graph: CallGraph,
  meta: ReportMeta,
  isSecret: Matcher,
  topCount: number,
): void {
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right
  doc.font(fonts.bold).fontSize(16).fillColor('#000000').text(pdfSafe(meta.title ?? 'CPU profile'), { width })
  doc.font(fonts.regular).fontSize(10).text(pdfSafe(describeTarget(meta)), { width })
  // Everything is fitted to this one page: pdfkit starts a new page whenever text reaches the
  // bottom margin (and so does ensureSpace), which used to push the last rows of the second
  // table and the note onto a page of their own.
  const bottom = doc.page.height - doc.page.margins.bottom
  const headersBottom = Math.max(doc.y + 60, bottom - reservedBelowHeaders)
  const { request } = meta
  if (request) {
    heading(doc, 'Request')
    const share = meta.response ? doc.y + (headersBottom - doc.y) * 0.55 : headersBottom
    keyValues(doc, [['Method', request.method], ['URL', request.url], ...headerRows(request.headers, isSecret)], share)
  }
  if (meta.response) {
    heading(doc, 'Response')
    const { response } = meta
    const rows: (readonly [string, string])[] = [['Status', String(response.statusCode)]]
    if (response.sizeBytes !== undefined) rows.push(['Body size', formatBytes(response.sizeBytes)])
    keyValues(doc, [...rows, ...headerRows(response.headers, isSecret)], headersBottom)
  }
  heading(doc, 'Timings')
  keyValues(doc, timingRows(graph, meta))
  const note = graphNote(graph)
  doc.font(fonts.regular).fontSize(8.5)
  const noteHeight = doc.heightOfString(note, { width }) + 10
  const rowsEach = Math.max(0, Math.min(topCount, Math.floor((bottom - doc.y - noteHeight - 2 * tableChrome - 4) / (2 * rowHeight))))
  if (rowsEach > 0) {
    heading(doc, 'Top functions by self time')
    table(doc, topColumns, topFunctions(graph, 'self', rowsEach).map(topRow))
    heading(doc, 'Top functions by total time')
    table(doc, topColumns, topFunctions(graph, 'total', rowsEach).map(topRow))
  }
  if (doc.y + noteHeight > bottom) return
  doc.y += 10
  doc.font(fonts.regular).fontSize(8.5).fillColor(grey)
  doc.text(note, doc.page.margins.left, doc.y, { width })
}
