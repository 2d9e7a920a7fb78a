import type { DogslowRateLimit } from './types.js'

/** Decision of {@link RateLimiter.admit}. */
export interface Admission {
  admitted: boolean
  /** Reports dropped since the last admitted one (set when admitted). */
  suppressedBefore: number
}

/**
 * Fixed-window limit on reports, so a storm of slow requests cannot fill the disk or a mailbox.
 * Dropped reports are counted; the count is carried by the next report and announced at the
 * end of the window through `announce`.
 */
export class RateLimiter {
  readonly #limit: DogslowRateLimit | undefined
  readonly #announce: (suppressed: number) => void
  #windowStart = 0
  #count = 0
  #suppressedInWindow = 0
  #suppressedSinceLast = 0
  #timer: NodeJS.Timeout | undefined

  constructor(limit: DogslowRateLimit | undefined, announce: (suppressed: number) => void) {
    this.#limit = limit
    this.#announce = announce
  }

  admit(now: number = Date.now()): Admission {
    const limit = this.#limit
    if (limit === undefined) return { admitted: true, suppressedBefore: 0 }
    if (now - this.#windowStart >= limit.intervalMs) {
      this.#windowStart = now
      this.#count = 0
    }
    if (this.#count < limit.maxReports) {
      this.#count++
      const suppressedBefore = this.#suppressedSinceLast
      this.#suppressedSinceLast = 0
      return { admitted: true, suppressedBefore }
    }
    this.#suppressedSinceLast++
    this.#suppressedInWindow++
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flush(), Math.max(0, this.#windowStart + limit.intervalMs - now))
      this.#timer.unref()
    }
    return { admitted: false, suppressedBefore: 0 }
  }

  #flush(): void {
    this.#timer = undefined
    const suppressed = this.#suppressedInWindow
    this.#suppressedInWindow = 0
    if (suppressed > 0) this.#announce(suppressed)
  }

  /** Announces what is still counted and stops the timer. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#flush()
  }
}
