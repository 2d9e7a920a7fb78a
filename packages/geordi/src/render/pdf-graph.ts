import SVGtoPDF from 'svg-to-pdfkit'
import { defaultGraphPageLimits, type GraphPageLimits, type GraphPagePlan, type GraphTile, planGraphPages } from './graph-pages.js'
import { fonts, grey, pdfSafe } from './pdf-text.js'
import { svgSize } from './svg-size.js'

const margin = 24
const captionHeight = 18

// Graphviz names its font "Helvetica,sans-Serif"; pdfkit's built-in Helvetica has the same
// metrics Graphviz laid the labels out with, and needs no font file.
const fontCallback = (_family: string, bold: boolean) => (bold ? fonts.bold : fonts.regular)

// svg-to-pdfkit sizes the drawing from the root element's own width/height and ignores the
// size we ask for; without them it fits the viewBox into our viewport, which lets us scale.
const withoutRootSize = (svg: string) =>
  svg.replace(/<svg\b[^>]*>/, (tag) => tag.replace(/\s(width|height)="[^"]*"/g, ''))

function drawTile(doc: PDFKit.PDFDocument, svg: string, tile: GraphTile, left: number, top: number, size: { width: number; height: number }) {
  doc.save()
  doc.rect(left, top, tile.width, tile.height).clip()
  SVGtoPDF(doc, svg, left - tile.x, top - tile.y, {
    width: size.width,
    height: size.height,
    fontCallback,
    // A warning means a detail the converter skipped (an unsupported attribute); the graph
    // is still drawn, and there is nobody to show it to inside a worker.
    warningCallback: () => {},
  })
  doc.restore()
  // svg-to-pdfkit leaves its last font selected; later text must not inherit it.
  doc.font(fonts.regular)
}

function partCaption(plan: GraphPagePlan, tile: GraphTile): string {
  const index = tile.row * plan.columns + tile.column + 1
  const grid = plan.columns > 1 ? `, row ${tile.row + 1} of ${plan.rows}, column ${tile.column + 1} of ${plan.columns}` : ''
  return `Call graph, page ${index} of ${plan.tiles.length}${grid} (pages overlap by half an inch)`
}

/** The call graph's drawing, scaled and cut into pages. */
export interface GraphDrawing {
  plan: GraphPagePlan
  scaled: { width: number; height: number }
  drawable: string
}

/** Plans the call graph's pages: each sized to the drawing (up to Arch D), split when even a shrunk copy would not fit. */
export function planGraphDrawing(svg: string, limits: GraphPageLimits = defaultGraphPageLimits): GraphDrawing {
  const natural = svgSize(svg) ?? { width: limits.maxWidth, height: limits.maxHeight }
  const plan = planGraphPages(natural, limits)
  return { plan, scaled: { width: natural.width * plan.scale, height: natural.height * plan.scale }, drawable: pdfSafe(withoutRootSize(svg)) }
}

/** Space the graph takes beside the summary on a one-page report: the drawing plus a right margin. */
export function graphColumnSize(drawing: GraphDrawing): { width: number; height: number } {
  const tile = drawing.plan.tiles[0]!
  return { width: tile.width + margin, height: tile.height + 2 * margin }
}

/** Draws a graph that fits one page at `left` on the current page (the one-page report). */
export function drawGraphBeside(doc: PDFKit.PDFDocument, drawing: GraphDrawing, left: number): void {
  drawTile(doc, drawing.drawable, drawing.plan.tiles[0]!, left, margin, drawing.scaled)
}

/**
 * Adds a page per tile of a call graph too large for one page (a grid of overlapping pages).
 * Returns the number of pages added.
 */
export function writeGraphPages(doc: PDFKit.PDFDocument, drawing: GraphDrawing): number {
  const { plan } = drawing
  const split = plan.tiles.length > 1
  const top = margin + (split ? captionHeight : 0)
  for (const tile of plan.tiles) {
    doc.addPage({ size: [tile.width + 2 * margin, tile.height + margin + top], margin: 0 })
    if (split) {
      doc.font(fonts.regular).fontSize(9).fillColor(grey)
      doc.text(partCaption(plan, tile), margin, margin - 6, { lineBreak: false })
    }
    drawTile(doc, drawing.drawable, tile, margin, top, drawing.scaled)
  }
  return plan.tiles.length
}
