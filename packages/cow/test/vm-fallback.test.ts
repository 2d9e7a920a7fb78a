import { describe, expect, it } from 'vitest'
import { TimeoutError, preemptionMode, withTimeout } from '../src/index.js'

// Read on first use, so setting it before the first call selects the fallback for this file.
process.env.INTRO_COW_PREEMPTION = 'vm'

class OuterError extends Error {}
class InnerError extends Error {}

function spin(): never {
  for (;;) {}
}

describe('withTimeout with INTRO_COW_PREEMPTION=vm', () => {
  it('preempts through vm', () => {
    expect(preemptionMode()).toBe('vm')
    expect(withTimeout(1_000, () => 'value')).toBe('value')
    expect(() => withTimeout(30, () => /^(a+)+$/.test(`${'a'.repeat(40)}!`))).toThrow(TimeoutError)
  })

  it('nests in both orders', () => {
    let inner: unknown
    withTimeout(2_000, OuterError, () => {
      try {
        withTimeout(30, InnerError, spin)
      } catch (error) {
        inner = error
      }
    })
    expect(inner).toBeInstanceOf(InnerError)
    expect(() =>
      withTimeout(50, OuterError, () => {
        try {
          withTimeout(2_000, InnerError, spin)
        } catch {
          spin()
        }
      }),
    ).toThrow(OuterError)
  })
})
