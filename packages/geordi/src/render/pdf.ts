import PDFDocument from 'pdfkit'
import { RenderError, RenderErrorCodes } from './errors.js'
import { writeGraphPages } from './pdf-graph.js'
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

/**
 * Writes the report PDF: a first page with the request, response, timings and the top
 * functions by self and total time, then the call graph on pages sized to it.
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
  const doc = new PDFDocument({
    size: 'A4',
    margin: 36,
    info: {
      Title: `${meta.title}: ${describeTarget(meta)}`,
      Creator: '@intro/geordi',
      CreationDate: meta.createdAt ?? new Date(),
    },
  })
  const done = collect(doc)
  try {
    writeSummary(doc, input.graph, meta, isSecret, topCount)
    writeGraphPages(doc, input.svg)
    doc.end()
  } catch (error) {
    doc.end()
    await done.catch(() => undefined)
    throw new RenderError('cannot write the report PDF', RenderErrorCodes.pdf, error)
  }
  return done
}
