import { frameKey, frameName } from './location.js'
import { stackOf, weightedSamples } from './sample-weights.js'
import type { CpuProfile } from './types.js'

/** One frame of speedscope's shared frame table. */
export interface SpeedscopeFrame {
  name: string
  file?: string
  line?: number
  col?: number
}

/** A speedscope file (https://www.speedscope.app/file-format-schema.json) with one `sampled` profile. */
export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json'
  name: string
  exporter: string
  activeProfileIndex: 0
  shared: { frames: SpeedscopeFrame[] }
  profiles: {
    type: 'sampled'
    name: string
    unit: 'microseconds'
    startValue: number
    endValue: number
    /** Per sample, the frame indices from the outermost call to the one on top. */
    samples: number[][]
    weights: number[]
  }[]
}

/**
 * Converts a `.cpuprofile` into speedscope's own file format: a `sampled` profile whose weights
 * are the microseconds each sample stood for (they add up to the profiled time), so speedscope's
 * time-ordered, left-heavy and sandwich views show the same numbers as the PDF. `name` is shown
 * as the profile's title; pass it redacted.
 *
 * @example
 * ```ts
 * await writeFile('profile.speedscope.json', JSON.stringify(toSpeedscope(profile, { name: 'GET /cart' })))
 * ```
 */
export function toSpeedscope(profile: CpuProfile, options: { name?: string } = {}): SpeedscopeFile {
  const weighted = weightedSamples(profile)
  const frames: SpeedscopeFrame[] = []
  const frameIndex = new Map<string, number>()
  const indexOfNode = (id: number): number => {
    const frame = weighted.nodes.get(id)!.callFrame
    const key = frameKey(frame)
    let index = frameIndex.get(key)
    if (index === undefined) {
      index = frames.length
      frameIndex.set(key, index)
      frames.push({
        name: frameName(frame),
        ...(frame.url === '' ? {} : { file: frame.url }),
        ...(frame.lineNumber >= 0 ? { line: frame.lineNumber + 1, col: frame.columnNumber + 1 } : {}),
      })
    }
    return index
  }
  const stacks = new Map<number, number[]>()
  const frameStacks = new Map<number, number[]>()
  const samples = weighted.nodeIds.map((id) => {
    let stack = frameStacks.get(id)
    if (!stack) {
      stack = stackOf(weighted, id, stacks).map(indexOfNode)
      frameStacks.set(id, stack)
    }
    return stack
  })
  const total = weighted.weightsUs.reduce((sum, weight) => sum + weight, 0)
  const name = options.name ?? 'CPU profile'
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    name,
    exporter: '@intro/geordi',
    activeProfileIndex: 0,
    shared: { frames },
    profiles: [{ type: 'sampled', name, unit: 'microseconds', startValue: 0, endValue: total, samples, weights: weighted.weightsUs }],
  }
}
