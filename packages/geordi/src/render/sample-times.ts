import { sampleStamps } from './sample-weights.js'
import type { CpuProfile } from './types.js'

/** Time (µs) each call-tree node spent on top of the stack, and the samples behind it. */
export interface SampleTimes {
  selfMicros: Map<number, number>
  sampleCounts: Map<number, number>
  sampleCount: number
  medianIntervalMicros: number
}

function median(values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

const add = (map: Map<number, number>, key: number, amount: number) => map.set(key, (map.get(key) ?? 0) + amount)

// Each sample owns the time until the next one, as Chrome DevTools counts it; V8 sometimes
// writes a negative delta when samples arrive out of order, which we clamp instead of
// letting it subtract time from an unrelated function.
function fromSamples(profile: CpuProfile, samples: number[], deltas: number[]): SampleTimes {
  const selfMicros = new Map<number, number>()
  const sampleCounts = new Map<number, number>()
  const timestamps = sampleStamps(profile)
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!
    const next = i + 1 < timestamps.length ? timestamps[i + 1]! : Math.max(profile.endTime, timestamps[i]!)
    add(selfMicros, id, Math.max(0, next - timestamps[i]!))
    add(sampleCounts, id, 1)
  }
  return {
    selfMicros,
    sampleCounts,
    sampleCount: samples.length,
    medianIntervalMicros: median(deltas.slice(1).filter((delta) => delta > 0)),
  }
}

// Without the sample list only hit counts remain: spread the profile's duration evenly.
function fromHitCounts(profile: CpuProfile): SampleTimes {
  const selfMicros = new Map<number, number>()
  const sampleCounts = new Map<number, number>()
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0)
  const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0
  for (const node of profile.nodes) {
    const count = node.hitCount ?? 0
    if (count === 0) continue
    add(selfMicros, node.id, count * interval)
    add(sampleCounts, node.id, count)
  }
  return { selfMicros, sampleCounts, sampleCount: hits, medianIntervalMicros: interval }
}

/** Attributes the profile's time to the call-tree nodes that were on top of the stack. */
export function sampleTimes(profile: CpuProfile): SampleTimes {
  const { samples, timeDeltas } = profile
  if (samples && timeDeltas && samples.length > 0) return fromSamples(profile, samples, timeDeltas)
  return fromHitCounts(profile)
}
