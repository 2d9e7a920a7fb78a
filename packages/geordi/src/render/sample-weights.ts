import type { CpuProfile, CpuProfileNode } from './types.js'

/** The profile's samples in order: which call-tree node was on top, and for how long (µs). */
export interface WeightedSamples {
  nodeIds: number[]
  weightsUs: number[]
  /** Timestamp (µs, the profile's clock) of the first sample, or `startTime` without samples. */
  firstUs: number
  nodes: Map<number, CpuProfileNode>
  parents: Map<number, number>
  rootId: number
}

/** When each sample was taken (µs, the profile's clock): `startTime` plus the deltas so far. */
export function sampleStamps(profile: CpuProfile): number[] {
  let time = profile.startTime
  return (profile.timeDeltas ?? []).map((delta) => {
    time += delta
    return time
  })
}

/**
 * Each sample owns the time until the next one (the last one: until `endTime`), as Chrome
 * DevTools and {@link sampleTimes} count it, so the weights add up to the profiled time. A
 * profile without a sample list (hit counts only) spreads its duration evenly over the hits.
 */
export function weightedSamples(profile: CpuProfile): WeightedSamples {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id)
    if (node.parent !== undefined) parents.set(node.id, node.parent)
  }
  const rootId = profile.nodes.find((node) => !parents.has(node.id))?.id ?? profile.nodes[0]!.id
  const { samples, timeDeltas } = profile
  if (samples && timeDeltas && samples.length > 0) {
    const stamps = sampleStamps(profile)
    const weightsUs = samples.map((_, i) => {
      const next = i + 1 < stamps.length ? stamps[i + 1]! : Math.max(profile.endTime, stamps[i]!)
      return Math.max(0, next - stamps[i]!)
    })
    return { nodeIds: [...samples], weightsUs, firstUs: stamps[0] ?? profile.startTime, nodes, parents, rootId }
  }
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0)
  const each = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0
  const nodeIds: number[] = []
  for (const node of profile.nodes) for (let k = 0; k < (node.hitCount ?? 0); k++) nodeIds.push(node.id)
  return { nodeIds, weightsUs: nodeIds.map(() => each), firstUs: profile.startTime, nodes, parents, rootId }
}

/** Node ids from just below the root down to `id` (the root itself left out). */
export function stackOf(samples: WeightedSamples, id: number, cache: Map<number, number[]>): number[] {
  const known = cache.get(id)
  if (known) return known
  const parent = samples.parents.get(id)
  const stack = id === samples.rootId || parent === undefined ? [] : [...stackOf(samples, parent, cache), id]
  cache.set(id, stack)
  return stack
}
