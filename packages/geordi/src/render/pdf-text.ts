/** Drawing helpers for the text pages; pdfkit's standard fonts need no font files of ours. */

// The standard fonts only encode WinAnsi (Latin-1 plus a few typographic marks); pdfkit
// turns anything else into mojibake. A Unicode font would add megabytes (CJK) to every
// install for names that are almost always ASCII, so the PDF prints `?` instead and the SVG
// and the .cpuprofile keep the real characters.
const winAnsiExtras = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')

/** Replaces characters the standard PDF fonts cannot show with `?`; keeps tabs and newlines. */
export const pdfSafe = (text: string): string =>
  text.replace(/[^\t\n\r\x20-\x7e\xa0-\xff]/gu, (char) => (winAnsiExtras.has(char) ? char : '?'))

export const fonts = { regular: 'Helvetica', bold: 'Helvetica-Bold', mono: 'Courier' } as const
export const grey = '#555555'

/** Starts a new page when fewer than `needed` points remain above the bottom margin. */
export function ensureSpace(doc: PDFKit.PDFDocument, needed: number): void {
  if (doc.y + needed > doc.page.height - doc.page.margins.bottom) doc.addPage()
}

const contentWidth = (doc: PDFKit.PDFDocument) => doc.page.width - doc.page.margins.left - doc.page.margins.right

export function heading(doc: PDFKit.PDFDocument, text: string): void {
  ensureSpace(doc, 48)
  doc.y += 8
  doc.font(fonts.bold).fontSize(11).fillColor('#000000')
  doc.text(pdfSafe(text), doc.page.margins.left, doc.y, { width: contentWidth(doc) })
  doc.y += 2
}

/**
 * Label/value rows; long values (URLs, header values) wrap under their column. With `maxBottom`,
 * rows that would end below it are left out and counted in a last `…` row instead.
 */
export function keyValues(doc: PDFKit.PDFDocument, rows: readonly (readonly [string, string])[], maxBottom = Number.POSITIVE_INFINITY): void {
  const left = doc.page.margins.left
  const labelWidth = 120
  const valueWidth = contentWidth(doc) - labelWidth - 8
  const moreRow = 11
  doc.fontSize(9)
  for (const [index, [label, value]] of rows.entries()) {
    doc.font(fonts.regular)
    const height = Math.max(doc.heightOfString(pdfSafe(value), { width: valueWidth }), 10)
    const last = index === rows.length - 1
    if (doc.y + height + 1 + (last ? 0 : moreRow) > maxBottom) {
      doc.fillColor(grey).text(`… ${rows.length - index} more`, left, doc.y, { width: labelWidth, lineBreak: false })
      doc.y += moreRow - 10
      return
    }
    ensureSpace(doc, height + 1)
    const y = doc.y
    doc.fillColor(grey).text(pdfSafe(label), left, y, { width: labelWidth, lineBreak: false, ellipsis: true })
    doc.fillColor('#000000').text(pdfSafe(value), left + labelWidth + 8, y, { width: valueWidth })
    doc.y = y + height + 1
  }
}

/** A column of {@link table}: its title, width in points and alignment. */
export interface Column {
  title: string
  width: number
  align?: 'left' | 'right'
}

/** A simple ruled table; rows are cut with `…` rather than wrapped so each stays one line. */
export function table(doc: PDFKit.PDFDocument, columns: readonly Column[], rows: readonly (readonly string[])[]): void {
  const left = doc.page.margins.left
  const rowHeight = 11
  const drawRow = (cells: readonly string[], font: string, color: string) => {
    ensureSpace(doc, rowHeight)
    const y = doc.y
    let x = left
    doc.font(font).fontSize(8.5).fillColor(color)
    columns.forEach((column, i) => {
      doc.text(pdfSafe(cells[i] ?? ''), x, y, {
        width: column.width - 6,
        height: rowHeight,
        align: column.align ?? 'left',
        lineBreak: false,
        ellipsis: true,
      })
      x += column.width
    })
    doc.y = y + rowHeight
  }
  drawRow(
    columns.map((column) => column.title),
    fonts.bold,
    '#000000',
  )
  const width = columns.reduce((sum, column) => sum + column.width, 0)
  doc.moveTo(left, doc.y - 2).lineTo(left + width, doc.y - 2).lineWidth(0.5).strokeColor('#999999').stroke()
  for (const row of rows) drawRow(row, fonts.regular, '#000000')
}
