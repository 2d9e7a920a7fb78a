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
  // Samples are summed per call-tree node first: a profile has thousands of samples but only
  // hundreds of distinct stacks, and each stack is walked once.
  const onTop = new Map<number, { us: number; samples: number }>()
  weighted.nodeIds.forEach((id, i) => {
    const entry = onTop.get(id)
    if (entry) {
      entry.us += weighted.weightsUs[i]!
      entry.samples++
    } else onTop.set(id, { us: weighted.weightsUs[i]!, samples: 1 })
  })
  const byKey = new WeakMap<FlameNode, Map<string, FlameNode>>()
  const flameOf = new Map<number, FlameNode>()
  const stacks = new Map<number, number[]>()
  const childOf = (node: FlameNode, frame: CpuProfileCallFrame): FlameNode => {
    let children = byKey.get(node)
    if (!children) {
      children = new Map()
      byKey.set(node, children)
    }
    const key = frameKey(frame)
    let child = children.get(key)
    if (!child) {
      child = { frame, totalUs: 0, samples: 0, children: [] }
      children.set(key, child)
      node.children.push(child)
    }
    return child
  }
  for (const [id, { us, samples }] of onTop) {
    let node = root
    node.totalUs += us
    node.samples += samples
    for (const stackId of stackOf(weighted, id, stacks)) {
      let child = flameOf.get(stackId)
      if (!child) {
        child = childOf(node, weighted.nodes.get(stackId)!.callFrame)
        flameOf.set(stackId, child)
      }
      child.totalUs += us
      child.samples += samples
      node = child
    }
  }
  return root
}
