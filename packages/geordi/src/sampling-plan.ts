/** Finest interval geordi asks V8 for: below it the sampler's own cost dominates the thread. */
export const FINEST_SAMPLING_INTERVAL_US = 20

/** How a job samples: a fine profile for a short request, the configured one for a long request. */
export interface SamplingPlan {
  intervalUs: number
  /** The fine profile's interval, or `undefined` when there is none (`minSamples` 0). */
  fineIntervalUs: number | undefined
  /** A request that ends within this is reported from the fine profile. */
  fineWindowMs: number
}

/**
 * A request shorter than `minSamples × intervalUs` gives fewer than `minSamples` samples at the
 * configured interval. A second profile at a twentieth of the interval (50 µs at the defaults)
 * runs beside it for that long: a request that ends within it gets ≥ 20× the samples. Past it
 * the fine profile stops (its sampler costs up to ~80 % extra CPU on deep stacks) and the
 * configured one is reported.
 */
export function samplingPlan(intervalUs: number, minSamples: number): SamplingPlan {
  const fineWindowMs = (minSamples * intervalUs) / 1000
  if (minSamples === 0 || intervalUs <= FINEST_SAMPLING_INTERVAL_US) return { intervalUs, fineIntervalUs: undefined, fineWindowMs: 0 }
  return { intervalUs, fineIntervalUs: Math.max(FINEST_SAMPLING_INTERVAL_US, Math.floor(intervalUs / 20)), fineWindowMs }
}
