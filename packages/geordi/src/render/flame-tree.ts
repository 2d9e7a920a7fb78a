import { frameKey } from './location.js'
import { stackOf, weightedSamples } from './sample-weights.js'
import type { CpuProfile, CpuProfileCallFrame } from './types.js'

/** A frame of the flame graph: one function reached through one stack, with its time. */
export interface FlameNode {
  frame: CpuProfileCallFrame | undefined
  totalUs: number
  samples: number
  children: FlameNode[]
}

/**
 * The call tree weighted by time: V8 can list one function several times under one caller (a
 * call site each), and the flame graph shows them as one frame. The root (no frame) holds
 * everything, idle and `(program)` included: the graph's width is the whole profiled time.
 */
export function buildFlameTree(profile: CpuProfile): FlameNode {
  const weighted = weightedSamples(profile)
  const root: FlameNode = { frame: undefined, totalUs: 0, samples: 0, children: [] }
  const byKey = new WeakMap<FlameNode, Map<string, FlameNode>>()
  const stacks = new Map<number, number[]>()
  weighted.nodeIds.forEach((id, i) => {
    const weight = weighted.weightsUs[i]!
    let node = root
    node.totalUs += weight
    node.samples++
    for (const stackId of stackOf(weighted, id, stacks)) {
      const frame = weighted.nodes.get(stackId)!.callFrame
      const key = frameKey(frame)
      let children = byKey.get(node)
      if (!children) {
        children = new Map()
        byKey.set(node, children)
      }
      let child = children.get(key)
      if (!child) {
        child = { frame, totalUs: 0, samples: 0, children: [] }
        children.set(key, child)
        node.children.push(child)
      }
      child.totalUs += weight
      child.samples++
      node = child
    }
  })
  return root
}
