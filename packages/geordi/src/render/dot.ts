import { formatMs, formatPercent, truncate } from './format.js'
import { heatColor, heatPenWidth, textColorOn } from './heat.js'
import { rankLengths } from './layering.js'
import type { CallGraph, CallGraphNode, DotOptions } from './types.js'

/** Quotes a string for DOT: the only escapes in a quoted ID are `\"` and `\\`. */
const quote = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll(/[\r\n]+/g, ' ')}"`

// Past ~50 characters `name (file:line)` makes boxes wider than the rank can afford;
// putting the location on its own line keeps boxes narrow without losing it.
const oneLineLimit = 50

// Longest rank we let dot build, in points, leaving room for the virtual nodes dot adds
// where long calls cross a rank.
const maxRankExtent = { TB: 1500, LR: 1400 } as const

// Extent of a box along its rank: Helvetica's average glyph is ~0.55 em wide, a line
// ~1.2 em tall; the rest is Graphviz's margins and node spacing.
function estimateExtent(lines: string[], fontSize: number, rankdir: 'TB' | 'LR'): number {
  if (rankdir === 'LR') return lines.length * fontSize * 1.2 + 18
  return Math.max(...lines.map((line) => line.length)) * fontSize * 0.56 + 30
}

function labelLines(node: CallGraphNode, maxNameLength: number): string[] {
  const name = truncate(node.functionName, maxNameLength)
  const head = `${name} (${node.location})`
  const title = head.length <= oneLineLimit ? [head] : [name, `(${truncate(node.location, maxNameLength)})`]
  return [
    ...title,
    `total ${formatPercent(node.totalFraction)} (${formatMs(node.totalMs)}), self ${formatPercent(node.selfFraction)}`,
  ]
}

function nodeTooltip(node: CallGraphNode): string {
  const where = node.url ? `${node.url}:${node.lineNumber}:${node.columnNumber}` : node.location
  return `${node.functionName} ${where}`
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected \`${name}\` to be a positive integer, got \`${String(value)}\``)
  }
  return value
}

/**
 * Writes a call graph in the DOT language: boxes coloured by total time (blue cold, red hot),
 * labelled `function (file:line)` with total and self shares, arrows as thick as their time,
 * wide fan-outs spread over several ranks so the drawing stays within a large page.
 *
 * @throws RangeError when `fontSize` or `maxNameLength` is not a positive integer.
 * @example
 * ```ts
 * const svg = await renderSvg(callGraphToDot(buildCallGraph(profile), { title: 'GET /users' }))
 * ```
 */
export function callGraphToDot(graph: CallGraph, options: DotOptions = {}): string {
  const fontSize = positiveInteger('fontSize', options.fontSize, 14)
  const maxNameLength = positiveInteger('maxNameLength', options.maxNameLength, 48)
  const labels = new Map(graph.nodes.map((node) => [node.id, labelLines(node, maxNameLength)]))
  const rankdir = options.rankdir ?? 'TB'
  if (rankdir !== 'TB' && rankdir !== 'LR') {
    throw new RangeError(`Expected \`rankdir\` to be 'TB' or 'LR', got \`${String(rankdir)}\``)
  }
  const extent = (id: string) => estimateExtent(labels.get(id) ?? [], fontSize, rankdir)
  const ranks = rankLengths(graph, extent, maxRankExtent[rankdir])
  const lines = [
    'digraph callgraph {',
    `  graph [rankdir=${rankdir}, ranksep=0.3, nodesep=0.15, fontname="Helvetica", fontsize=16, labelloc=t, pad=0.2, outputorder=edgesfirst];`,
    `  node [shape=box, style="filled,rounded", fontname="Helvetica", fontsize=${fontSize}, penwidth=0, margin="0.1,0.04"];`,
    `  edge [fontname="Helvetica", fontsize=${Math.max(8, fontSize - 2)}, arrowsize=0.6];`,
  ]
  if (options.title) lines.push(`  label=${quote(options.title)};`)
  for (const node of graph.nodes) {
    const color = heatColor(node.totalFraction)
    const label = (labels.get(node.id) ?? []).map((line) => quote(line).slice(1, -1)).join('\\n')
    lines.push(
      `  ${node.id} [label="${label}", fillcolor="${color}", fontcolor="${textColorOn(color)}", tooltip=${quote(nodeTooltip(node))}];`,
    )
  }
  for (const edge of graph.edges) {
    const color = heatColor(edge.fraction)
    const length = ranks.minlen.get(`${edge.from}->${edge.to}`)
    const attributes = [
      `label=${quote(`  ${formatPercent(edge.fraction)}`)}`,
      `color="${color}"`,
      `fontcolor="${color}"`,
      `penwidth=${heatPenWidth(edge.fraction)}`,
      `weight=${Math.max(1, Math.round(edge.fraction * 100))}`,
      ...(length ? [`minlen=${length}`] : []),
    ]
    lines.push(`  ${edge.from} -> ${edge.to} [${attributes.join(', ')}];`)
  }
  for (const anchor of ranks.anchors) lines.push(`  ${anchor.from} -> ${anchor.to} [style=invis, weight=0];`)
  lines.push('}')
  return `${lines.join('\n')}\n`
}
