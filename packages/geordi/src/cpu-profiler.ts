import { Session } from 'node:inspector/promises'
import type { CpuProfile } from './render/index.js'
import { sampleStamps } from './render/sample-weights.js'

/** A running V8 CPU profile of the current thread. */
export interface RunningProfile {
  /** Stops profiling and returns the `.cpuprofile`; disconnects the inspector session. */
  stop(): Promise<CpuProfile>
  /** Stops and discards (after a failure). Never throws. */
  discard(): Promise<void>
}

/**
 * Starts the V8 sampling profiler through `node:inspector` (the Profiler domain): the same
 * `.cpuprofile` v8-profiler-next writes, with no native addon to build. Each call opens its own
 * session, so overlapping profiles do not stop each other (though each sees both threads' work).
 */
export async function startCpuProfile(samplingIntervalUs: number): Promise<RunningProfile> {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs })
    await session.post('Profiler.start')
  } catch (error) {
    session.disconnect()
    throw error
  }
  let stopped = false
  const stop = async (): Promise<CpuProfile> => {
    if (stopped) throw new Error('profile already stopped')
    stopped = true
    try {
      const { profile } = await session.post('Profiler.stop')
      await session.post('Profiler.disable')
      return profile as unknown as CpuProfile
    } finally {
      session.disconnect()
    }
  }
  return {
    stop,
    async discard() {
      if (!stopped) await stop().catch(() => undefined)
    },
  }
}

/** The monotonic clock V8 stamps profile samples with (µs; the same clock as `process.hrtime`). */
export function profileClockUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

/**
 * Drops the samples taken before `fromUs`: those of `Profiler.start` itself (V8 logs every
 * existing function when profiling starts, ~10 ms that would otherwise show up in the report
 * as a call tree of the profiler). Hit counts follow the kept samples.
 */
export function trimProfileStart(profile: CpuProfile, fromUs: number): CpuProfile {
  const { samples, timeDeltas } = profile
  if (samples === undefined || timeDeltas === undefined || fromUs <= profile.startTime) return profile
  const stamps = sampleStamps(profile)
  let first = 0
  while (first < stamps.length && stamps[first]! < fromUs) first++
  if (first === 0) return profile
  const keptDeltas = timeDeltas.slice(first)
  if (keptDeltas.length > 0) keptDeltas[0] = stamps[first]! - fromUs
  const keptSamples = samples.slice(first)
  const hits = new Map<number, number>()
  for (const id of keptSamples) hits.set(id, (hits.get(id) ?? 0) + 1)
  const nodes = profile.nodes.map((node) => {
    const hitCount = hits.get(node.id) ?? 0
    if (hitCount === node.hitCount) return node
    const { positionTicks: _dropped, ...rest } = node
    return { ...rest, hitCount }
  })
  return { ...profile, nodes, startTime: fromUs, samples: keptSamples, timeDeltas: keptDeltas }
}
