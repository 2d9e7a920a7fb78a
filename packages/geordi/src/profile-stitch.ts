import type { CpuProfile, CpuProfileCallFrame, CpuProfileNode } from './render/index.js'
import { frameKey } from './render/location.js'
import { sampleStamps } from './render/sample-weights.js'

/** V8's node for time spent in the VM itself rather than in a JavaScript function. */
const PROGRAM_FRAME: CpuProfileCallFrame = { functionName: '(program)', scriptId: 0, url: '', lineNumber: -1, columnNumber: -1 }

// The function's identity plus its script: two eval'd scripts without a URL can share a name
// and position, and a call tree keeps them apart.
function callFrameKey(frame: CpuProfileCallFrame): string {
  return `${frameKey(frame)}\u0000${frame.scriptId}`
}

/** One call tree built from several: a node per distinct call path, with fresh ids. */
class MergedTree {
  readonly nodes: CpuProfileNode[] = []
  readonly #byPath = new Map<string, CpuProfileNode>()
  readonly rootId: number

  constructor(root: CpuProfileCallFrame) {
    this.rootId = this.#child(undefined, root).id
  }

  #child(parent: CpuProfileNode | undefined, callFrame: CpuProfileCallFrame): CpuProfileNode {
    const path = `${parent?.id ?? ''}\u0001${callFrameKey(callFrame)}`
    let node = this.#byPath.get(path)
    if (node === undefined) {
      node = { id: this.nodes.length + 1, callFrame, hitCount: 0, children: [] }
      this.nodes.push(node)
      this.#byPath.set(path, node)
      parent?.children?.push(node.id)
    }
    return node
  }

  /** Adds a profile's tree; returns its node ids mapped to the merged ones. */
  add(profile: CpuProfile): Map<number, number> {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]))
    const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []))
    const mapped = new Map<number, number>()
    const root = profile.nodes.find((node) => !childIds.has(node.id))
    if (root === undefined) return mapped
    mapped.set(root.id, this.rootId)
    const pending: CpuProfileNode[] = [root]
    while (pending.length > 0) {
      const node = pending.pop()!
      const parent = this.nodes[mapped.get(node.id)! - 1]!
      for (const id of node.children ?? []) {
        const child = byId.get(id)
        if (child === undefined || mapped.has(id)) continue
        mapped.set(id, this.#child(parent, child.callFrame).id)
        pending.push(child)
      }
    }
    return mapped
  }

  /** The `(program)` node under the root. */
  program(): number {
    return this.#child(this.nodes[0], PROGRAM_FRAME).id
  }
}

/**
 * Joins two profiles of one thread taken back to back into one: `first`'s samples until `cutUs`,
 * then `second`'s, on the same clock. The time between `cutUs` and `second`'s first sample
 * (starting `second`'s profiler, when V8 logs every function it has compiled) is booked to
 * `(program)`, as a profiler sampling through it would: time in the VM, not in the app's code.
 * Samples keep their own spacing, so a finely sampled stretch followed by a coarse one weighs
 * each sample by the time it covers.
 */
export function stitchProfiles(first: CpuProfile, second: CpuProfile, cutUs: number): CpuProfile {
  const firstRoot = first.nodes[0]
  if (firstRoot === undefined) return second
  const tree = new MergedTree(firstRoot.callFrame)
  const firstIds = tree.add(first)
  const secondIds = tree.add(second)
  const samples: number[] = []
  const times: number[] = []
  const firstStamps = sampleStamps(first)
  ;(first.samples ?? []).forEach((id, i) => {
    if (firstStamps[i]! >= cutUs) return
    samples.push(firstIds.get(id) ?? tree.rootId)
    times.push(firstStamps[i]!)
  })
  const secondStamps = sampleStamps(second)
  if (secondStamps.length > 0 && secondStamps[0]! > cutUs) {
    samples.push(tree.program())
    times.push(cutUs)
  }
  ;(second.samples ?? []).forEach((id, i) => {
    if (secondStamps[i]! < cutUs) return
    samples.push(secondIds.get(id) ?? tree.rootId)
    times.push(secondStamps[i]!)
  })
  for (const id of samples) tree.nodes[id - 1]!.hitCount! += 1
  const timeDeltas = times.map((time, i) => time - (i === 0 ? first.startTime : times[i - 1]!))
  return { nodes: tree.nodes, startTime: first.startTime, endTime: Math.max(second.endTime, times.at(-1) ?? 0), samples, timeDeltas }
}
