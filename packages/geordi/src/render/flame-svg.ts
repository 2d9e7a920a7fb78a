import { formatMs } from './format.js'
import { frameKind, frameLocation, frameName } from './location.js'
import { buildFlameTree, type FlameNode } from './flame-tree.js'
import { type CpuProfile, type CpuProfileCallFrame, FunctionKinds } from './types.js'

/** Options of {@link renderFlameGraph}. */
export interface FlameGraphOptions {
  /** Width of the drawing in SVG units (it scales with the page). @defaultValue 1160 */
  width?: number
  /** Frames narrower than this fraction of the profile are left out (speedscope shows them). @defaultValue 0.0005 */
  minFraction?: number
  /** Most frames drawn, widest first: bounds the page's size for huge profiles. @defaultValue 4000 */
  maxFrames?: number
  /** The root frame's label. @defaultValue `all` */
  title?: string
}

/** Height of one row of frames, in SVG units. */
export const FLAME_ROW_HEIGHT = 17
/** Monospace glyph advance at the graph's 12-unit font, for fitting labels into frames. */
export const FLAME_CHAR_WIDTH = 7.3

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Cuts `label` to what fits in `width` units, with `…`; empty when not even 3 characters fit. */
export function fitFlameLabel(label: string, width: number): string {
  const chars = Math.floor((width - 6) / FLAME_CHAR_WIDTH)
  if (chars < 3) return ''
  return label.length > chars ? `${label.slice(0, chars - 1)}…` : label
}

function hash(text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return Math.abs(h)
}

// Colour tells whose code a frame is: the app's own (warm), a dependency's (yellow), Node's
// (blue), V8's synthetic frames and native code (grey), the garbage collector (purple).
function color(frame: CpuProfileCallFrame | undefined, label: string): string {
  const shade = hash(label) % 20
  if (frame === undefined) return '#c8c8c8'
  const kind = frameKind(frame)
  if (kind === FunctionKinds.garbageCollector) return `hsl(280,45%,${62 + shade / 2}%)`
  if (kind !== FunctionKinds.function) return `hsl(0,0%,${72 + shade / 2}%)`
  if (frame.url.startsWith('node:') || !/[/\\]/.test(frame.url)) return `hsl(210,55%,${66 + shade / 2}%)`
  if (/[/\\]node_modules[/\\]/.test(frame.url)) return `hsl(48,80%,${56 + shade / 2}%)`
  return `hsl(${12 + shade},85%,${58 + shade / 3}%)`
}

interface Placed {
  node: FlameNode
  x: number
  width: number
  depth: number
}

function place(root: FlameNode, minUs: number, maxFrames: number): Placed[] {
  const placed: Placed[] = []
  // Breadth first, so that when maxFrames cuts, it cuts the deepest and narrowest frames.
  let level: Placed[] = [{ node: root, x: 0, width: root.totalUs, depth: 0 }]
  while (level.length > 0 && placed.length < maxFrames) {
    const next: Placed[] = []
    for (const item of level) {
      if (placed.length >= maxFrames) break
      placed.push(item)
      let x = item.x
      for (const child of [...item.node.children].sort((a, b) => b.totalUs - a.totalUs)) {
        if (child.totalUs >= minUs) next.push({ node: child, x, width: child.totalUs, depth: item.depth + 1 })
        x += child.totalUs
      }
    }
    level = next
  }
  return placed
}

/**
 * Draws the profile as an icicle flame graph (callers on top, callees below, width = time):
 * plain SVG with a `<title>` per frame for hover details and labels cut to fit. Each frame's
 * `<g>` carries `data-x`/`data-w` (fractions of the whole), `data-d` (depth) and `data-n` (label),
 * which the result page's script uses to zoom on click. No script or style inside: it shows the
 * same without them (a strict CSP, an `<img>`).
 *
 * @example
 * ```ts
 * const svg = renderFlameGraph(profile, { title: 'GET /cart' })
 * ```
 */
export function renderFlameGraph(profile: CpuProfile, options: FlameGraphOptions = {}): string {
  const width = options.width ?? 1160
  const root = buildFlameTree(profile)
  const total = root.totalUs
  const placed = total > 0 ? place(root, total * (options.minFraction ?? 0.0005), options.maxFrames ?? 4000) : []
  const depth = placed.reduce((max, item) => Math.max(max, item.depth), 0) + 1
  const height = depth * FLAME_ROW_HEIGHT
  const frames = placed.map((item) => {
    const frame = item.node.frame
    const name = frame === undefined ? (options.title ?? 'all') : frameName(frame)
    const where = frame === undefined ? '' : ` ${frameLocation(frame)}`
    const share = total > 0 ? ((item.node.totalUs / total) * 100).toFixed(1) : '0.0'
    const title = `${name}${where} — ${formatMs(item.node.totalUs / 1000)} (${share}%), ${item.node.samples} samples`
    const label = frame === undefined ? `${name} — ${formatMs(total / 1000)}, ${item.node.samples} samples` : name
    const x = (item.x / total) * width
    const w = (item.width / total) * width
    const y = item.depth * FLAME_ROW_HEIGHT
    return (
      `<g data-x="${(item.x / total).toFixed(6)}" data-w="${(item.width / total).toFixed(6)}" data-d="${item.depth}" data-n="${escapeXml(label)}">` +
      `<title>${escapeXml(title)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${FLAME_ROW_HEIGHT - 1}" fill="${color(frame, name)}" rx="1"/>` +
      `<text x="${(x + 3).toFixed(2)}" y="${y + 12}">${escapeXml(fitFlameLabel(label, w))}</text></g>`
    )
  })
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="geordi-flame" viewBox="0 0 ${width} ${height}" width="100%" ` +
    `data-width="${width}" font-family="ui-monospace,Menlo,Consolas,monospace" font-size="12" fill="#000" role="img" aria-label="Flame graph">` +
    `${frames.join('\n')}</svg>`
  )
}
