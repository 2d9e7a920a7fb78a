import { Session } from 'node:inspector/promises'
import type { CpuProfile } from './render/index.js'

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
