import { describe, expect, it } from 'vitest'
import { preemptionMode, withTimeout } from '../src/index.js'

// Read on first use, so setting it before the first call applies to this file.
process.env.INTRO_COW_PREEMPTION = 'fast'

describe('INTRO_COW_PREEMPTION', () => {
  it('rejects an unknown value at every use until it is fixed', () => {
    for (const use of [() => withTimeout(1_000, () => 1), () => preemptionMode()]) {
      let error: unknown
      try {
        use()
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(RangeError)
      expect((error as { code?: string }).code).toBe('ERR_INTRO_INVALID_OPTION')
    }
    process.env.INTRO_COW_PREEMPTION = 'vm'
    expect(preemptionMode()).toBe('vm')
    expect(withTimeout(1_000, () => 1)).toBe(1)
  })
})
