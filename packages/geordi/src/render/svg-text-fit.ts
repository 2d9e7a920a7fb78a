import PDFDocument from 'pdfkit'

// Graphviz sizes each box for Helvetica (its font metrics are built in). A browser without
// Helvetica or a metric twin (Arial, Liberation Sans, Nimbus Sans) draws the labels in its
// sans-serif, DejaVu Sans on Debian, 12–14% wider on call-graph labels: they spill out of their boxes and neighbours
// overlap. `textLength` tells the browser the width Graphviz planned, so whatever font it picks
// is fitted to it (scaled a little, never overflowing).
const TEXT = /<text\b([^>]*?)\sfont-size="([\d.]+)"([^>]*)>([^<]*)<\/text>/g
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&apos;': "'" }

function unescapeXml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|apos|#39);|&#(\d+);|&#x([0-9a-f]+);/gi, (entity, dec?: string, hex?: string) =>
    dec !== undefined ? String.fromCodePoint(Number(dec)) : hex !== undefined ? String.fromCodePoint(Number.parseInt(hex, 16)) : (ENTITIES[entity] ?? entity),
  )
}

/**
 * Adds `textLength` (Helvetica's width of the text at its size, as Graphviz measured it) and
 * `lengthAdjust="spacingAndGlyphs"` to every `<text>` of a Graphviz SVG, so labels keep to the
 * boxes Graphviz drew for them in any browser.
 */
export function fitSvgText(svg: string): string {
  // pdfkit carries Helvetica's metrics (AFM): no font file, nothing drawn.
  const doc = new PDFDocument({ autoFirstPage: false })
  doc.font('Helvetica')
  return svg.replace(TEXT, (whole, before: string, size: string, after: string, content: string) => {
    if (content.trim() === '' || /\stextLength=/.test(before + after)) return whole
    const width = doc.fontSize(Number(size)).widthOfString(unescapeXml(content))
    return `<text${before} font-size="${size}"${after} textLength="${width.toFixed(2)}" lengthAdjust="spacingAndGlyphs">${content}</text>`
  })
}
