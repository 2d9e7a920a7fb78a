/** Size of an SVG in points, from its `viewBox` or its `width`/`height` attributes. */
export interface SvgSize {
  width: number
  height: number
}

const unitToPt: Record<string, number> = { '': 1, pt: 1, px: 0.75, in: 72, cm: 72 / 2.54, mm: 72 / 25.4 }

function length(svgTag: string, name: string): number | undefined {
  const match = new RegExp(`\\s${name}="([\\d.]+)(pt|px|in|cm|mm)?"`).exec(svgTag)
  if (!match) return undefined
  return Number(match[1]) * (unitToPt[match[2] ?? ''] ?? 1)
}

/** Reads the size Graphviz gave the SVG (it writes `width="123pt"`, `height="45pt"`). */
export function svgSize(svg: string): SvgSize | undefined {
  const tag = /<svg\b[^>]*>/.exec(svg)?.[0]
  if (!tag) return undefined
  const width = length(tag, 'width')
  const height = length(tag, 'height')
  if (width && height) return { width, height }
  const viewBox = /\sviewBox="[\d.-]+[\s,]+[\d.-]+[\s,]+([\d.]+)[\s,]+([\d.]+)"/.exec(tag)
  if (!viewBox) return undefined
  return { width: Number(viewBox[1]), height: Number(viewBox[2]) }
}
