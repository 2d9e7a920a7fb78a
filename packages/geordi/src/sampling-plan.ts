/** Finest interval geordi asks V8 for: below it the sampler's own cost dominates the thread. */
export const FINEST_SAMPLING_INTERVAL_US = 20

// Methods whose replay may run twice: a second GET repeats no side effect the first did not.
const REPEATABLE_METHODS = new Set(['GET', 'HEAD'])

/** What the worker knows after the first profiled run. */
export interface FirstRun {
  method: string
  intervalUs: number
  samples: number
  minSamples: number
}

/**
 * The interval for a second, finer run, or `undefined` when the first profile is enough (or the
 * request must not run twice). The count scales with the interval on this thread — a loaded
 * machine loses samples in both runs alike — so the second run aims at twice `minSamples`, to
 * land above it despite the run-to-run spread.
 */
export function finerInterval(run: FirstRun): number | undefined {
  if (run.minSamples === 0 || run.samples >= run.minSamples || !REPEATABLE_METHODS.has(run.method.toUpperCase())) return undefined
  if (run.intervalUs <= FINEST_SAMPLING_INTERVAL_US) return undefined
  const wanted = Math.floor((run.intervalUs * Math.max(run.samples, 1)) / (2 * run.minSamples))
  return Math.max(FINEST_SAMPLING_INTERVAL_US, Math.min(run.intervalUs - 1, wanted))
}
