import PDFDocument from 'pdfkit'
import { RenderError, RenderErrorCodes } from './errors.js'
import { defaultGraphPageLimits } from './graph-pages.js'
import { drawGraphBeside, graphColumnSize, planGraphDrawing, writeGraphPages } from './pdf-graph.js'
import { describeTarget, writeSummary } from './pdf-summary.js'
import { redactReportUrl, reportSecretMatcher } from './redact.js'
import type { RenderPdfInput, ReportMeta } from './types.js'

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
}

// The summary column is an A4 page's width; the page is at least A4 tall.
const A4 = { width: 595.28, height: 841.89 }
const MARGIN = 36
// The report is read on screen, where a large page costs scrolling, not legibility (labels keep
// their size): a graph up to 100 in on a side stays on the one page, beside the summary. Only a
// larger one is cut into Arch D sheets, which also print.
const ONE_PAGE_LIMITS = { ...defaultGraphPageLimits, maxWidth: 100 * 72, maxHeight: 100 * 72 }

/**
 * Writes the report PDF: the request, response, timings and the top functions by self and total
 * time in a column of A4 width, with the call graph beside it on the same page — one page in
 * all, as tall as the taller of the two. A call graph larger than 100 in on a side is cut into
 * Arch D pages of its own after an A4 summary page. The summary is fitted to its page (fewer table rows and headers
 * when space runs out), so it never spills onto a page of its own.
 * Credentials in headers and URL query parameters are replaced by `[redacted]`.
 *
 * @throws RenderError (`ERR_INTRO_GEORDI_PDF`) when pdfkit fails.
 * @example
 * ```ts
 * const pdf = await renderPdf({ graph, svg, meta: { request: { method: 'GET', url: '/users' } } })
 * await writeFile('report.pdf', pdf)
 * ```
 */
export async function renderPdf(input: RenderPdfInput): Promise<Buffer> {
  const topCount = input.topCount ?? 15
  if (!Number.isInteger(topCount) || topCount < 0) {
    throw new RangeError(`Expected \`topCount\` to be a non-negative integer, got \`${String(topCount)}\``)
  }
  const isSecret = reportSecretMatcher(input.redact)
  const { request } = input.meta
  const meta: ReportMeta = {
    ...input.meta,
    title: redactReportUrl(input.meta.title ?? 'CPU profile', isSecret),
    ...(request ? { request: { ...request, url: redactReportUrl(request.url, isSecret) } } : {}),
  }
  const onePage = planGraphDrawing(input.svg, ONE_PAGE_LIMITS)
  const besides = onePage.plan.tiles.length === 1
  const drawing = besides ? onePage : planGraphDrawing(input.svg)
  const column = besides ? graphColumnSize(drawing) : { width: 0, height: 0 }
  const doc = new PDFDocument({
    autoFirstPage: false,
    info: {
      Title: `${meta.title}: ${describeTarget(meta)}`,
      Creator: '@intro/geordi',
      CreationDate: meta.createdAt ?? new Date(),
    },
  })
  const done = collect(doc)
  try {
    const size: [number, number] = [A4.width + column.width, Math.max(A4.height, column.height)]
    doc.addPage({ size, margins: { top: MARGIN, left: MARGIN, bottom: MARGIN, right: MARGIN + column.width } })
    writeSummary(doc, input.graph, meta, isSecret, topCount)
    if (besides) drawGraphBeside(doc, drawing, A4.width)
    else writeGraphPages(doc, drawing)
    doc.end()
  } catch (error) {
    doc.end()
    await done.catch(() => undefined)
    throw new RenderError('cannot write the report PDF', RenderErrorCodes.pdf, error)
  }
  return done
}
