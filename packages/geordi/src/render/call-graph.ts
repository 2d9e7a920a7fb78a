import { parseCpuProfile } from './profile.js'
import { frameKey, frameKind, frameLocation, frameName } from './location.js'
import { resolveCallGraphOptions } from './options.js'
import { sampleTimes } from './sample-times.js'
import {
  FunctionKinds,
  type CallGraph,
  type CallGraphEdge,
  type CallGraphNode,
  type CallGraphOptions,
  type CpuProfile,
  type CpuProfileNode,
  type FunctionKind,
} from './types.js'

/** The call tree flattened in pre-order, each entry knowing its parent's position. */
interface TreeEntry {
  node: CpuProfileNode
  parent: number
  /** Index into the function table; -1 for the root and excluded frames. */
  fn: number
  selfMicros: number
  totalMicros: number
}

function isIncluded(kind: FunctionKind, options: Required<CallGraphOptions>): boolean {
  if (kind === FunctionKinds.program) return options.includeProgram
  if (kind === FunctionKinds.idle) return options.includeIdle
  if (kind === FunctionKinds.garbageCollector) return options.includeGarbageCollector
  return true
}

function childrenOf(profile: CpuProfile): Map<number, number[]> {
  const children = new Map<number, number[]>()
  for (const node of profile.nodes) {
    if (node.children) children.set(node.id, [...(children.get(node.id) ?? []), ...node.children])
    else if (node.parent !== undefined) children.set(node.parent, [...(children.get(node.parent) ?? []), node.id])
  }
  return children
}

// Roots are the nodes nobody calls: normally one `(root)`, but be lenient with hand-made profiles.
function roots(profile: CpuProfile, children: Map<number, number[]>): CpuProfileNode[] {
  const called = new Set<number>()
  for (const ids of children.values()) for (const id of ids) called.add(id)
  return profile.nodes.filter((node) => !called.has(node.id))
}

/** Flattens the tree in pre-order; iterative because real stacks go thousands of frames deep. */
function flattenTree(profile: CpuProfile): TreeEntry[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const children = childrenOf(profile)
  const entries: TreeEntry[] = []
  const visited = new Set<number>()
  const stack: { node: CpuProfileNode; parent: number }[] = roots(profile, children)
    .reverse()
    .map((node) => ({ node, parent: -1 }))
  while (stack.length > 0) {
    const { node, parent } = stack.pop()!
    if (visited.has(node.id)) continue
    visited.add(node.id)
    const index = entries.push({ node, parent, fn: -1, selfMicros: 0, totalMicros: 0 }) - 1
    const ids = children.get(node.id) ?? []
    for (let i = ids.length - 1; i >= 0; i--) {
      const child = byId.get(ids[i]!)
      if (child) stack.push({ node: child, parent: index })
    }
  }
  return entries
}

class FunctionTable {
  readonly functions: CallGraphNode[] = []
  private readonly index = new Map<string, number>()

  indexOf(node: CpuProfileNode, kind: FunctionKind): number {
    const key = frameKey(node.callFrame)
    let found = this.index.get(key)
    if (found === undefined) {
      const frame = node.callFrame
      found = this.functions.length
      this.index.set(key, found)
      this.functions.push({
        id: `f${found + 1}`,
        kind,
        functionName: frameName(frame),
        url: frame.url,
        lineNumber: frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0,
        columnNumber: frame.columnNumber >= 0 ? frame.columnNumber + 1 : 0,
        location: frameLocation(frame),
        selfMs: 0,
        totalMs: 0,
        selfFraction: 0,
        totalFraction: 0,
        samples: 0,
      })
    }
    return found
  }
}

interface Totals {
  table: FunctionTable
  edges: Map<string, CallGraphEdge>
  totalMicros: number
  idleMicros: number
}

function assignSelfTimes(profile: CpuProfile, entries: TreeEntry[], options: Required<CallGraphOptions>) {
  const times = sampleTimes(profile)
  const table = new FunctionTable()
  let idleMicros = 0
  for (const entry of entries) {
    const kind = frameKind(entry.node.callFrame)
    const self = times.selfMicros.get(entry.node.id) ?? 0
    if (kind === FunctionKinds.idle) idleMicros += self
    if (kind === 'root' || !isIncluded(kind, options)) continue
    entry.fn = table.indexOf(entry.node, kind)
    entry.selfMicros = self
    const fn = table.functions[entry.fn]!
    fn.selfMs += self / 1000
    fn.samples += times.sampleCounts.get(entry.node.id) ?? 0
  }
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!
    entry.totalMicros += entry.selfMicros
    if (entry.parent >= 0) entries[entry.parent]!.totalMicros += entry.totalMicros
  }
  return { table, times, idleMicros }
}

/**
 * Adds each tree node's total to its function and to the call from its caller, skipping nodes
 * whose function (or call) is already on the stack above: recursion is counted once, as
 * gprof2dot and DevTools' bottom-up view do.
 */
function accumulate(entries: TreeEntry[], table: FunctionTable): Map<string, CallGraphEdge> {
  const edges = new Map<string, CallGraphEdge>()
  const onStack = new Map<string, number>()
  const path: number[] = []
  const enter = (key: string) => {
    const count = onStack.get(key) ?? 0
    onStack.set(key, count + 1)
    return count === 0
  }
  const leave = (key: string) => onStack.set(key, (onStack.get(key) ?? 1) - 1)
  const keysOf = (entry: TreeEntry): string[] => {
    if (entry.fn < 0) return []
    const caller = callerFn(entries, entry)
    return caller >= 0 && caller !== entry.fn ? [`f${entry.fn}`, `e${caller}>${entry.fn}`] : [`f${entry.fn}`]
  }
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!
    while (path.length > 0 && path[path.length - 1] !== entry.parent) {
      for (const key of keysOf(entries[path.pop()!]!)) leave(key)
    }
    path.push(i)
    if (entry.fn < 0 || entry.totalMicros === 0) {
      for (const key of keysOf(entry)) enter(key)
      continue
    }
    const [fnKey, edgeKey] = keysOf(entry)
    if (enter(fnKey!)) table.functions[entry.fn]!.totalMs += entry.totalMicros / 1000
    if (edgeKey && enter(edgeKey)) addEdge(edges, table, callerFn(entries, entry), entry)
  }
  return edges
}

function callerFn(entries: TreeEntry[], entry: TreeEntry): number {
  return entry.parent >= 0 ? entries[entry.parent]!.fn : -1
}

function addEdge(edges: Map<string, CallGraphEdge>, table: FunctionTable, caller: number, entry: TreeEntry) {
  const key = `${caller}>${entry.fn}`
  const edge = edges.get(key) ?? {
    from: table.functions[caller]!.id,
    to: table.functions[entry.fn]!.id,
    timeMs: 0,
    fraction: 0,
  }
  edge.timeMs += entry.totalMicros / 1000
  edges.set(key, edge)
}

// On equal totals the caller that only passes time through (self 0) goes first, so cutting
// the list at maxNodes never keeps a callee while dropping the caller it hangs from.
const byTotal = (a: CallGraphNode, b: CallGraphNode) => b.totalMs - a.totalMs || a.selfMs - b.selfMs

function computeTotals(profile: CpuProfile, options: Required<CallGraphOptions>): Totals & { times: ReturnType<typeof sampleTimes> } {
  const entries = flattenTree(profile)
  const { table, times, idleMicros } = assignSelfTimes(profile, entries, options)
  const edges = accumulate(entries, table)
  const totalMicros = entries.reduce((sum, entry) => sum + (entry.parent < 0 ? entry.totalMicros : 0), 0)
  return { table, edges, totalMicros, idleMicros, times }
}

/**
 * Turns a V8 CPU profile into a call graph of functions (self and total time) and calls (time),
 * pruned like gprof2dot: functions under `nodeThreshold` of the time and calls under
 * `edgeThreshold` go, then all but the `maxNodes` functions with the most total time.
 *
 * @throws InvalidProfileError when `profile` is not a `.cpuprofile`.
 * @throws RangeError when an option is out of range.
 * @example
 * ```ts
 * const graph = buildCallGraph(JSON.parse(await readFile('app.cpuprofile', 'utf8')), { maxNodes: 40 })
 * console.log(graph.nodes[0]?.functionName, graph.nodes[0]?.totalMs)
 * ```
 */
export function buildCallGraph(profile: CpuProfile, options?: CallGraphOptions): CallGraph {
  const resolved = resolveCallGraphOptions(options)
  const checked = parseCpuProfile(profile)
  const { table, edges, totalMicros, idleMicros, times } = computeTotals(checked, resolved)
  const totalMs = totalMicros / 1000
  const share = (ms: number) => (totalMs > 0 ? ms / totalMs : 0)
  const functions = table.functions.filter((fn) => fn.totalMs > 0)
  for (const fn of functions) {
    fn.selfFraction = share(fn.selfMs)
    fn.totalFraction = share(fn.totalMs)
  }
  functions.sort(byTotal)
  const allEdges = [...edges.values()]
  for (const edge of allEdges) edge.fraction = share(edge.timeMs)
  const nodes = functions.filter((fn) => fn.totalFraction >= resolved.nodeThreshold).slice(0, resolved.maxNodes)
  const kept = new Set(nodes.map((fn) => fn.id))
  const keptEdges = allEdges
    .filter((edge) => kept.has(edge.from) && kept.has(edge.to) && edge.fraction >= resolved.edgeThreshold)
    .sort((a, b) => b.timeMs - a.timeMs)
  return {
    nodes,
    edges: keptEdges,
    functions,
    totalMs,
    durationMs: (checked.endTime - checked.startTime) / 1000,
    idleMs: idleMicros / 1000,
    sampleCount: times.sampleCount,
    sampleIntervalMs: times.medianIntervalMicros / 1000,
    pruned: { nodes: functions.length - nodes.length, edges: allEdges.length - keptEdges.length },
    options: resolved,
  }
}
