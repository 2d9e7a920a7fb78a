import { startHttpServer } from '@intro/test-utils'
import { describe, expect, it } from 'vitest'
import { CowErrorCode, TimeoutError, preemptionMode, withTimeout } from '../src/index.js'

class RuntimeError extends Error {
  override name = 'RuntimeError'
}
class OuterError extends Error {}
class InnerError extends Error {}

const evilRegex = /^(a+)+$/
const evilInput = `${'a'.repeat(40)}!`

function spin(): never {
  for (;;) {}
}

function elapsed(start: number): number {
  return performance.now() - start
}

// Preemption lands at the deadline or after it, within a margin a loaded 2-core machine still
// meets (a timer, a watchdog thread and the interrupt check; ~1–30 ms quiet, up to ~250 loaded).
const MARGIN_MS = 400

// An event-loop timer (the async path) may fire up to a millisecond early: libuv counts whole
// milliseconds from the loop's cached time.
const TIMER_EARLY_MS = 1

function expectWindow(ms: number, deadlineMs: number, earlyMs = 0): void {
  expect(ms).toBeGreaterThanOrEqual(deadlineMs - earlyMs)
  expect(ms).toBeLessThan(deadlineMs + MARGIN_MS)
}

describe('withTimeout', () => {
  it('preempts through the native watchdog by default in this workspace', () => {
    expect(preemptionMode()).toBe('native')
  })

  it('returns the value of a synchronous block synchronously', () => {
    const result = withTimeout(1_000, RuntimeError, () => 42)
    expect(result).toBe(42)
  })

  it('interrupts a catastrophic regex near the deadline with the caller’s error', () => {
    const start = performance.now()
    expect(() => withTimeout(100, RuntimeError, () => evilRegex.test(evilInput))).toThrow(RuntimeError)
    expectWindow(elapsed(start), 100)
  })

  it('interrupts a busy loop near the deadline with the caller’s error', () => {
    const start = performance.now()
    let error: unknown
    try {
      withTimeout(100, RuntimeError, spin)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RuntimeError)
    expectWindow(elapsed(start), 100)
  })

  it('interrupts the synchronous part of an async block and returns a rejected promise without running it on', async () => {
    let after = false
    let signal: AbortSignal | undefined
    const start = performance.now()
    let returned: unknown
    expect(() => {
      returned = withTimeout(100, RuntimeError, async (s) => {
        signal = s
        spin()
        after = true
      })
    }).not.toThrow()
    expectWindow(elapsed(start), 100)
    expect(returned).toBeInstanceOf(Promise)
    await expect(returned).rejects.toBeInstanceOf(RuntimeError)
    expect(signal?.aborted).toBe(true)
    expect(after).toBe(false)
  })

  it('returns a rejected promise for bound async functions and async methods too', async () => {
    const bound = async function (this: { ms: number }) {
      spin()
    }.bind({ ms: 1 })
    const object = {
      async method() {
        spin()
      },
    }
    for (const fn of [bound, object.method]) {
      let returned: unknown
      expect(() => {
        returned = withTimeout(20, RuntimeError, fn)
      }).not.toThrow()
      await expect(returned).rejects.toBeInstanceOf(RuntimeError)
    }
  })

  it('throws for a plain function whose promise was never returned because its synchronous part was preempted', () => {
    const plain = (): Promise<void> => {
      spin()
    }
    expect(() => withTimeout(20, RuntimeError, plain)).toThrow(RuntimeError)
  })

  it('passes a signal only to a block that declares a parameter (fn.length > 0)', () => {
    expect(withTimeout(1_000, (signal) => signal)).toBeInstanceOf(AbortSignal)
    expect(withTimeout(1_000, (...args: unknown[]) => args[0])).toBeUndefined()
    expect(withTimeout(1_000, (signal: unknown = 'fallback') => signal)).toBe('fallback')
  })

  it('throws TimeoutError with code ERR_INTRO_TIMEOUT when no error is given', () => {
    let error: unknown
    try {
      withTimeout(20, spin)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).code).toBe(CowErrorCode.timeout)
    expect((error as TimeoutError).timeoutMs).toBe(20)
  })

  it('accepts an error factory and an error instance', () => {
    const instance = new RangeError('too slow')
    expect(() => withTimeout(20, instance, spin)).toThrow(instance)
    const made = withTimeoutError(() => withTimeout(20, ({ timeoutMs }) => Object.assign(new Error('x'), { timeoutMs }), spin))
    expect((made as { timeoutMs: number }).timeoutMs).toBe(20)
  })

  it('accepts fractional milliseconds, as milliseconds', async () => {
    expect(withTimeout(50.5, () => 'fast')).toBe('fast')
    for (const ms of [0.5, 20.5]) {
      const start = performance.now()
      const error = withTimeoutError(() => withTimeout(ms, spin))
      expectWindow(elapsed(start), ms)
      expect(error).toBeInstanceOf(TimeoutError)
      expect((error as TimeoutError).timeoutMs).toBe(ms)
    }
    const start = performance.now()
    await expect(withTimeout(20.5, () => new Promise(() => {}))).rejects.toBeInstanceOf(TimeoutError)
    expectWindow(elapsed(start), 20.5, TIMER_EARLY_MS)
  })

  it('rejects invalid limits and error specs at the call', () => {
    for (const ms of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => withTimeout(ms, () => 1)).toThrow(RangeError)
    }
    expect(() => withTimeout('10' as unknown as number, () => 1)).toThrow(TypeError)
    expect(() => withTimeout(10, 'oops' as unknown as Error, () => 1)).toThrow(TypeError)
    expect(() => withTimeout(10, { message: 'x' } as unknown as Error, () => 1)).toThrow(TypeError)
    expect(() => withTimeout(10, RuntimeError, 'nope' as unknown as () => void)).toThrow(TypeError)
  })

  it('rethrows what the block throws, untouched', () => {
    const mine = new SyntaxError('mine')
    expect(() =>
      withTimeout(1_000, RuntimeError, () => {
        throw mine
      }),
    ).toThrow(mine)
  })

  it('does not run finally blocks inside the preempted code, but the caller’s run', () => {
    let inner = false
    let outer = false
    try {
      withTimeout(30, RuntimeError, () => {
        try {
          spin()
        } finally {
          inner = true
        }
      })
    } catch {
    } finally {
      outer = true
    }
    expect(inner).toBe(false)
    expect(outer).toBe(true)
  })

  it('lets microtasks and timers scheduled by a preempted block escape', async () => {
    let microtask = false
    let timer = false
    expect(() =>
      withTimeout(30, RuntimeError, () => {
        queueMicrotask(() => {
          microtask = true
        })
        setTimeout(() => {
          timer = true
        }, 1)
        spin()
      }),
    ).toThrow(RuntimeError)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(microtask).toBe(true)
    expect(timer).toBe(true)
  })
})

function withTimeoutError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('withTimeout nesting', () => {
  it('fires the inner limit first when it is shorter, with the inner error', () => {
    let outerCaught: unknown
    const result = withTimeout(2_000, OuterError, () => {
      try {
        withTimeout(50, InnerError, spin)
      } catch (error) {
        outerCaught = error
      }
      return 'outer finished'
    })
    expect(outerCaught).toBeInstanceOf(InnerError)
    expect(result).toBe('outer finished')
  })

  it('fires the outer limit while the inner block runs, with the outer error', () => {
    const start = performance.now()
    let innerCatchRan = false
    const error = withTimeoutError(() =>
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
    expectWindow(elapsed(start), 80)
  })

  it('unwinds several levels to the one whose deadline passed', () => {
    let atSixty: unknown
    const result = withTimeout(5_000, InnerError, () => {
      try {
        withTimeout(60, OuterError, () => withTimeout(4_000, InnerError, () => withTimeout(3_000, InnerError, spin)))
      } catch (caught) {
        atSixty = caught
      }
      return 'outermost finished'
    })
    expect(atSixty).toBeInstanceOf(OuterError)
    expect(result).toBe('outermost finished')
  })

  it('nests async blocks in both orders, each with its own error', async () => {
    const sleep = (ms: number, signal: AbortSignal) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms)
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(signal.reason)
        })
      })
    await expect(
      withTimeout(2_000, OuterError, async () => {
        try {
          await withTimeout(30, InnerError, (signal) => sleep(5_000, signal))
        } catch (error) {
          return error
        }
      }),
    ).resolves.toBeInstanceOf(InnerError)
    let innerSignal: AbortSignal | undefined
    await expect(
      withTimeout(30, OuterError, () =>
        withTimeout(2_000, InnerError, (signal) => {
          innerSignal = signal
          return sleep(100, signal)
        }),
      ),
    ).rejects.toBeInstanceOf(OuterError)
    expect(innerSignal?.aborted).toBe(false)
  })
})

describe('withTimeout async', () => {
  it('aborts a fetch to a slow local server at the deadline', async () => {
    let closed = false
    const server = await startHttpServer((req, res) => {
      req.socket.on('close', () => {
        closed = true
      })
      setTimeout(() => res.end('late'), 5_000).unref()
    })
    try {
      const start = performance.now()
      let seen: AbortSignal | undefined
      await expect(
        withTimeout(100, RuntimeError, async (signal) => {
          seen = signal
          const response = await fetch(server.url, { signal })
          return response.text()
        }),
      ).rejects.toBeInstanceOf(RuntimeError)
      expectWindow(elapsed(start), 100, TIMER_EARLY_MS)
      expect(seen?.aborted).toBe(true)
      expect(seen?.reason).toBeInstanceOf(RuntimeError)
      await expect.poll(() => closed).toBe(true)
    } finally {
      await server.stop()
    }
  })

  it('resolves with the value when the async block finishes in time', async () => {
    await expect(withTimeout(1_000, async () => 7)).resolves.toBe(7)
  })

  it('rejects a result that arrives after the deadline because the thread was busy', async () => {
    const start = performance.now()
    await expect(
      withTimeout(30, RuntimeError, async () => {
        await null
        while (performance.now() - start < 120) {}
        return 'late'
      }),
    ).rejects.toBeInstanceOf(RuntimeError)
  })
})

describe('withTimeout health', () => {
  it('keeps the event loop and a server working after timeouts', async () => {
    const server = await startHttpServer((_req, res) => res.end('ok'))
    try {
      for (let i = 0; i < 5; i++) expect(() => withTimeout(10, RuntimeError, () => evilRegex.test(evilInput))).toThrow(RuntimeError)
      const response = await fetch(server.url)
      expect(await response.text()).toBe('ok')
      await new Promise((resolve) => setTimeout(resolve, 5))
    } finally {
      await server.stop()
    }
  })
})
