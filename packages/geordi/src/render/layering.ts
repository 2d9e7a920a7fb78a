import type { CallGraph } from './types.js'

/**
 * dot puts every callee one rank below its caller, so a profile where one function calls
 * dozens of others (a router, an event loop tick) comes out 10,000+ pt wide and one rank
 * tall: unreadable on any page. Graphviz's `unflatten -l` only staggers leaves and narrowed
 * such a graph from 12,800 to 8,900 pt. Instead we choose the ranks ourselves: walk the
 * graph hottest-first in topological order, put each function on the first rank below all
 * its callers that still has room (`maxRankWidth`), and hand dot the result as `minlen` on
 * each call. dot still does the ordering and drawing; calls that close a recursion cycle
 * keep `minlen` 1. Functions nobody calls (event-loop entry points: timers, module
 * loading, promise jobs) have no call to carry a `minlen`, so each one moved below rank 0
 * hangs from an invisible edge to a function on the rank above (as `unflatten -c` chains
 * disconnected nodes).
 */
export function rankLengths(graph: CallGraph, widthOf: (id: string) => number, maxRankWidth: number): RankConstraints {
  const order = new Map(graph.nodes.map((node, index) => [node.id, index]))
  const outgoing = new Map<string, string[]>()
  for (const edge of graph.edges) {
    if (edge.from === edge.to || !order.has(edge.from) || !order.has(edge.to)) continue
    outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge.to])
  }
  const back = backEdges(graph, outgoing)
  const incoming = new Map<string, string[]>()
  for (const [from, targets] of outgoing) {
    for (const to of targets) {
      if (!back.has(`${from}->${to}`)) incoming.set(to, [...(incoming.get(to) ?? []), from])
    }
  }
  const rank = assignRanks(graph, outgoing, incoming, back, widthOf, maxRankWidth)
  const minlen = new Map<string, number>()
  for (const [from, targets] of outgoing) {
    for (const to of targets) {
      const key = `${from}->${to}`
      const length = (rank.get(to) ?? 0) - (rank.get(from) ?? 0)
      if (!back.has(key) && length > 1) minlen.set(key, length)
    }
  }
  const firstOnRank = new Map<number, string>()
  for (const node of graph.nodes) {
    const level = rank.get(node.id) ?? 0
    if (!firstOnRank.has(level)) firstOnRank.set(level, node.id)
  }
  const anchors: { from: string; to: string }[] = []
  for (const node of graph.nodes) {
    const level = rank.get(node.id) ?? 0
    const above = firstOnRank.get(level - 1)
    if (level > 0 && !incoming.has(node.id) && above !== undefined) anchors.push({ from: above, to: node.id })
  }
  return { minlen, anchors }
}

/** What {@link rankLengths} asks of dot. */
export interface RankConstraints {
  /** `minlen` for each call `from->to` that must span more than one rank. */
  minlen: Map<string, number>
  /** Invisible edges holding uncalled functions on the rank chosen for them. */
  anchors: { from: string; to: string }[]
}

function assignRanks(
  graph: CallGraph,
  outgoing: Map<string, string[]>,
  incoming: Map<string, string[]>,
  back: Set<string>,
  widthOf: (id: string) => number,
  maxRankWidth: number,
): Map<string, number> {
  const hotness = new Map(graph.nodes.map((node, index) => [node.id, index]))
  const waiting = new Map(graph.nodes.map((node) => [node.id, incoming.get(node.id)?.length ?? 0]))
  const rank = new Map<string, number>()
  const used: number[] = []
  const earliest = (id: string) => Math.max(-1, ...(incoming.get(id) ?? []).map((from) => rank.get(from) ?? 0)) + 1
  // Fill ranks top-down: of the functions whose callers are all placed, take the one that
  // can go highest, the hottest among equals (graph.nodes is sorted by total time). Cold
  // callees overflow downwards; a hot subtree cannot push its cold siblings far down.
  const ready = graph.nodes.filter((node) => waiting.get(node.id) === 0).map((node) => ({ id: node.id, level: 0 }))
  while (ready.length > 0) {
    ready.sort((a, b) => a.level - b.level || hotness.get(a.id)! - hotness.get(b.id)!)
    const { id } = ready.shift()!
    let level = earliest(id)
    const width = widthOf(id)
    // A rank always takes at least one node, however wide.
    while ((used[level] ?? 0) > 0 && (used[level] ?? 0) + width > maxRankWidth) level++
    used[level] = (used[level] ?? 0) + width
    rank.set(id, level)
    for (const to of outgoing.get(id) ?? []) {
      if (back.has(`${id}->${to}`)) continue
      const left = waiting.get(to)! - 1
      waiting.set(to, left)
      if (left === 0) ready.push({ id: to, level: earliest(to) })
    }
  }
  return rank
}

/** Calls into a function still on the depth-first stack (recursion), hottest first. */
function backEdges(graph: CallGraph, outgoing: Map<string, string[]>): Set<string> {
  const state = new Map<string, 'open' | 'done'>()
  const back = new Set<string>()
  for (const root of graph.nodes) {
    if (state.has(root.id)) continue
    const stack: { id: string; next: number }[] = [{ id: root.id, next: 0 }]
    state.set(root.id, 'open')
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!
      const targets = outgoing.get(frame.id) ?? []
      if (frame.next >= targets.length) {
        state.set(frame.id, 'done')
        stack.pop()
        continue
      }
      const to = targets[frame.next++]!
      const seen = state.get(to)
      if (seen === 'open') back.add(`${frame.id}->${to}`)
      else if (seen === undefined) {
        state.set(to, 'open')
        stack.push({ id: to, next: 0 })
      }
    }
  }
  return back
}
