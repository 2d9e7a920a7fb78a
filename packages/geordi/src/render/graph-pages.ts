import type { SvgSize } from './svg-size.js'

/** One page of the call graph: the part of the (scaled) drawing it shows. */
export interface GraphTile {
  /** Offset of the page's top-left corner in the scaled drawing, in points. */
  x: number
  y: number
  width: number
  height: number
  row: number
  column: number
}

/** How the call graph is spread over pages. */
export interface GraphPagePlan {
  scale: number
  rows: number
  columns: number
  tiles: GraphTile[]
}

/** Limits for {@link planGraphPages}, in points. */
export interface GraphPageLimits {
  /** Largest drawing area on one page. */
  maxWidth: number
  maxHeight: number
  /** Smallest scale the drawing may shrink to before it is split over pages. */
  minScale: number
  /** Drawing repeated on both sides of a cut so a box cut in two is whole on one page. */
  overlap: number
}

// Arch D (24×36 in) is the largest sheet most plotters and PDF viewers handle comfortably.
// At a scale of 0.85 the 14pt labels stay ≥ 12pt: ~10 px tall even at 60 dpi.
export const defaultGraphPageLimits: GraphPageLimits = {
  maxWidth: 36 * 72,
  maxHeight: 24 * 72,
  minScale: 0.85,
  overlap: 36,
}

function cuts(total: number, max: number, overlap: number): { start: number; size: number }[] {
  if (total <= max) return [{ start: 0, size: total }]
  const count = Math.ceil((total - overlap) / (max - overlap))
  const size = Math.min(max, Math.ceil((total + overlap * (count - 1)) / count))
  return Array.from({ length: count }, (_, i) => {
    const start = Math.min(i * (size - overlap), total - size)
    return { start, size }
  })
}

/**
 * Sizes the page to the drawing: one page at full size when it fits, shrunk down to
 * `minScale` when that makes it fit, otherwise split at full size into a grid of
 * overlapping pages (shrinking a drawing that gets split anyway would only cost legibility).
 */
export function planGraphPages(size: SvgSize, limits: GraphPageLimits = defaultGraphPageLimits): GraphPagePlan {
  const fit = Math.min(1, limits.maxWidth / size.width, limits.maxHeight / size.height)
  const scale = fit >= limits.minScale ? fit : 1
  const width = size.width * scale
  const height = size.height * scale
  const columns = cuts(width, limits.maxWidth, limits.overlap)
  const rows = cuts(height, limits.maxHeight, limits.overlap)
  const tiles: GraphTile[] = []
  rows.forEach((rowCut, row) => {
    columns.forEach((columnCut, column) => {
      tiles.push({ x: columnCut.start, y: rowCut.start, width: columnCut.size, height: rowCut.size, row, column })
    })
  })
  return { scale, rows: rows.length, columns: columns.length, tiles }
}
