import { formatBytes, formatMs, formatPercent } from './format.js'
import { type Column, fonts, grey, heading, keyValues, table } from './pdf-text.js'
import { redactHeaders, redactUrl } from './redact.js'
import { topFunctions } from './top-functions.js'
import type { CallGraph, FunctionSummary, RedactOptions, ReportMeta } from './types.js'

// Headers are secondary on this page; a request with 80 cookies should not push the
// top-function tables to page three.
const maxHeaders = 25
const maxHeaderValue = 300

const clip = (text: string) => (text.length > maxHeaderValue ? `${text.slice(0, maxHeaderValue)}…` : text)

function headerRows(headers: ReportMeta['request']['headers'], redact: RedactOptions | undefined) {
  const entries = Object.entries(redactHeaders(headers, redact))
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
    `The call graph on the following pages shows ${graph.nodes.length} of ${graph.functions.length} functions ` +
    `(at most ${maxNodes}, each with at least ${formatPercent(nodeThreshold)} of the sampled time; calls under ` +
    `${formatPercent(edgeThreshold)} hidden). Colour goes from blue (cold) to red (hot) by total time. ` +
    'The .cpuprofile saved beside this PDF opens in Chrome DevTools (Performance panel) and speedscope.'
  )
}

/** Writes the first page: request, response, timings, top functions by self and total time. */
export function writeSummary(
  doc: PDFKit.PDFDocument,
  graph: CallGraph,
  meta: ReportMeta,
  redact: RedactOptions | undefined,
  topCount: number,
): void {
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right
  const url = redactUrl(meta.request.url, redact)
  doc.font(fonts.bold).fontSize(16).fillColor('#000000').text(meta.title ?? 'CPU profile', { width })
  doc.font(fonts.regular).fontSize(10).text(`${meta.request.method} ${url}`, { width })
  heading(doc, 'Request')
  keyValues(doc, [['Method', meta.request.method], ['URL', url], ...headerRows(meta.request.headers, redact)])
  if (meta.response) {
    heading(doc, 'Response')
    const { response } = meta
    const rows: (readonly [string, string])[] = [['Status', String(response.statusCode)]]
    if (response.sizeBytes !== undefined) rows.push(['Body size', formatBytes(response.sizeBytes)])
    keyValues(doc, [...rows, ...headerRows(response.headers, redact)])
  }
  heading(doc, 'Timings')
  keyValues(doc, timingRows(graph, meta))
  heading(doc, 'Top functions by self time')
  table(doc, topColumns, topFunctions(graph, 'self', topCount).map(topRow))
  heading(doc, 'Top functions by total time')
  table(doc, topColumns, topFunctions(graph, 'total', topCount).map(topRow))
  doc.y += 10
  doc.font(fonts.regular).fontSize(8.5).fillColor(grey)
  doc.text(graphNote(graph), doc.page.margins.left, doc.y, { width })
}
