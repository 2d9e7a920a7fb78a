// The behaviours every preemption mechanism must keep, as one suite each mode's test file runs
// in its own process (the mode is chosen once per thread, on first use).
import { startHttpServer } from '@intro/test-utils'
import { describe, expect, it } from 'vitest'
import { type PreemptionMode, TimeoutError, preemptionMode, withTimeout } from '../src/index.js'

class RuntimeError extends Error {}
class OuterError extends Error {}
class InnerError extends Error {}

const evilInput = `${'a'.repeat(40)}!`

function spin(): never {
  for (;;) {}
}

function busy(ms: number): number {
  const end = performance.now() + ms
  let n = 0
  while (performance.now() < end) n++
  return n
}

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

// At the deadline or after it, within a margin a loaded 2-core machine still meets. V8's own
// timeout clock (vm) and performance.now() are different clocks: allow them a millisecond apart.
function expectWindow(start: number, deadlineMs: number): void {
  const ms = performance.now() - start
  expect(ms).toBeGreaterThanOrEqual(deadlineMs - 1)
  expect(ms).toBeLessThan(deadlineMs + 400)
}

/** Registers the suite for `mode`; the calling file selects the mode before first use. */
export function describePreemption(mode: PreemptionMode): void {
  describe(`preemption through ${mode}`, () => {
    it(`preempts through ${mode}`, () => {
      expect(preemptionMode()).toBe(mode)
    })

    it('interrupts a catastrophic regex and a busy loop near the deadline with the caller’s error', () => {
      let start = performance.now()
      expect(caught(() => withTimeout(100, RuntimeError, () => /^(a+)+$/.test(evilInput)))).toBeInstanceOf(RuntimeError)
      expectWindow(start, 100)
      start = performance.now()
      expect(caught(() => withTimeout(100, RuntimeError, spin))).toBeInstanceOf(RuntimeError)
      expectWindow(start, 100)
    })

    it('nests with the inner limit shorter: the inner error reaches the outer block, which goes on', () => {
      let inner: unknown
      const result = withTimeout(2_000, OuterError, () => {
        try {
          withTimeout(50, InnerError, spin)
        } catch (error) {
          inner = error
        }
        return 'outer finished'
      })
      expect(inner).toBeInstanceOf(InnerError)
      expect(result).toBe('outer finished')
    })

    it('nests with the outer limit shorter: it fires while the inner block runs, with the outer error', () => {
      const start = performance.now()
      let innerCatchRan = false
      const error = caught(() =>
        withTimeout(80, OuterError, () => {
          try {
            withTimeout(5_000, InnerError, spin)
          } catch {
            innerCatchRan = true
            spin()
          }
        }),
      )
      expect(error).toBeInstanceOf(OuterError)
      expect(innerCatchRan).toBe(false)
      expectWindow(start, 80)
    })

    it('still enforces the outer limit after the inner one fired', () => {
      const start = performance.now()
      let inner: unknown
      const error = caught(() =>
        withTimeout(150, OuterError, () => {
          try {
            withTimeout(30, InnerError, spin)
          } catch (caughtInner) {
            inner = caughtInner
          }
          // Bounded, so that an outer limit no longer enforced fails the test instead of hanging it.
          busy(2_000)
        }),
      )
      expect(inner).toBeInstanceOf(InnerError)
      expect(error).toBeInstanceOf(OuterError)
      expectWindow(start, 150)
    })

    it('unwinds several levels to the one whose deadline passed', () => {
      let atSixty: unknown
      const result = withTimeout(5_000, InnerError, () => {
        try {
          withTimeout(60, OuterError, () => withTimeout(4_000, InnerError, () => withTimeout(3_000, InnerError, spin)))
        } catch (error) {
          atSixty = error
        }
        return 'outermost finished'
      })
      expect(atSixty).toBeInstanceOf(OuterError)
      expect(result).toBe('outermost finished')
    })

    it('leaks no termination into the caller when deadlines land as blocks return', () => {
      // Blocks busy for about their limit, alone and nested: a termination left pending would
      // stop the JavaScript right after the call, so the counter would fall short.
      let outcomes = 0
      let after = 0
      for (let i = 0; i < 500; i++) {
        try {
          withTimeout(1, RuntimeError, () => busy(0.8 + Math.random() * 0.4))
          outcomes++
        } catch (error) {
          if (!(error instanceof RuntimeError)) throw error
          outcomes++
        }
        after += JSON.parse('[1]')[0] as number
        try {
          withTimeout(1.2, OuterError, () => {
            try {
              withTimeout(1, InnerError, () => busy(0.9 + Math.random() * 0.4))
            } catch (error) {
              if (!(error instanceof InnerError)) throw error
            }
            busy(0.1)
          })
        } catch (error) {
          if (!(error instanceof OuterError)) throw error
        }
        after += JSON.parse('[1]')[0] as number
      }
      expect(outcomes).toBe(500)
      expect(after).toBe(1_000)
    })

    it('stays healthy after 2,000 timeouts: values, timers and a server still work', async () => {
      let timeouts = 0
      for (let i = 0; i < 2_000; i++) {
        const error = caught(() => withTimeout(1, i % 2 === 0 ? spin : () => /^(a+)+$/.test(evilInput)))
        if (error instanceof TimeoutError) timeouts++
      }
      expect(timeouts).toBe(2_000)
      expect(withTimeout(1_000, () => 42)).toBe(42)
      await new Promise((resolve) => setTimeout(resolve, 5))
      const server = await startHttpServer((_req, res) => res.end('ok'))
      try {
        expect(await (await fetch(server.url)).text()).toBe('ok')
      } finally {
        await server.stop()
      }
    }, 60_000)
  })
}
