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

function drawTile(doc: PDFKit.PDFDocument, svg: string, tile: GraphTile, top: number, size: { width: number; height: number }) {
  doc.save()
  doc.rect(margin, top, tile.width, tile.height).clip()
  SVGtoPDF(doc, svg, margin - tile.x, top - tile.y, {
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

/**
 * Adds the call graph pages: each page sized to the drawing (up to Arch D), the drawing
 * split into a grid of overlapping pages when even a shrunk copy would not fit.
 * Returns the number of pages added.
 */
export function writeGraphPages(doc: PDFKit.PDFDocument, svg: string, limits: GraphPageLimits = defaultGraphPageLimits): number {
  const natural = svgSize(svg) ?? { width: limits.maxWidth, height: limits.maxHeight }
  const plan = planGraphPages(natural, limits)
  const scaled = { width: natural.width * plan.scale, height: natural.height * plan.scale }
  const drawable = pdfSafe(withoutRootSize(svg))
  const split = plan.tiles.length > 1
  const top = margin + (split ? captionHeight : 0)
  for (const tile of plan.tiles) {
    doc.addPage({ size: [tile.width + 2 * margin, tile.height + margin + top], margin: 0 })
    if (split) {
      doc.font(fonts.regular).fontSize(9).fillColor(grey)
      doc.text(partCaption(plan, tile), margin, margin - 6, { lineBreak: false })
    }
    drawTile(doc, drawable, tile, top, scaled)
  }
  return plan.tiles.length
}
