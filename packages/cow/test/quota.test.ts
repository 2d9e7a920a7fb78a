import { describe, expect, it } from 'vitest'
import { CowErrorCode, TimeoutError, createQuota, withTimeout } from '../src/index.js'

class BudgetError extends Error {}

function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

describe('createQuota', () => {
  it('shares one budget between the iterations of a loop and fails at once when spent', () => {
    const quota = createQuota(100, BudgetError)
    let completed = 0
    let error: unknown
    try {
      for (let i = 0; i < 100; i++) {
        quota.run(() => busy(15))
        completed++
      }
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(BudgetError)
    expect(completed).toBeGreaterThanOrEqual(3)
    expect(completed).toBeLessThanOrEqual(7)
    expect(quota.remainingMs).toBe(0)
    let ran = false
    expect(() =>
      quota.run(() => {
        ran = true
      }),
    ).toThrow(BudgetError)
    expect(ran).toBe(false)
  })

  it('preempts a block stuck past the remaining budget', () => {
    const quota = createQuota(60)
    quota.run(() => busy(20))
    const left = quota.remainingMs
    const start = performance.now()
    let error: unknown
    try {
      quota.run(() => {
        for (;;) {}
      })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).code).toBe(CowErrorCode.timeout)
    // Preempted once the budget left is spent (not the full 60 ms), within a loaded machine's margin.
    const ms = performance.now() - start
    expect(ms).toBeGreaterThanOrEqual(left - 1)
    expect(ms).toBeLessThan(left + 400)
  })

  it('spends time only while a block runs', async () => {
    const quota = createQuota(50, BudgetError)
    quota.run(() => busy(10))
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(quota.spentMs).toBeGreaterThanOrEqual(9)
    expect(quota.spentMs).toBeLessThan(40)
    expect(quota.run(() => 'still fine')).toBe('still fine')
  })

  it('counts nested blocks once', () => {
    const quota = createQuota(1_000, BudgetError)
    const start = performance.now()
    quota.run(() => {
      busy(10)
      quota.run(() => busy(20))
      quota.run(() => quota.run(() => busy(10)))
    })
    const wall = performance.now() - start
    // Counting a nested block again would spend ~80 ms of budget in ~40 ms of wall time.
    expect(quota.spentMs).toBeGreaterThanOrEqual(40)
    expect(quota.spentMs).toBeLessThanOrEqual(wall)
  })

  it('closes a nested block that an enclosing deadline preempted', async () => {
    const quota = createQuota(5_000, BudgetError)
    expect(() =>
      withTimeout(40, () =>
        quota.run(() => {
          for (;;) {}
        }),
      ),
    ).toThrow(TimeoutError)
    const spent = quota.spentMs
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(quota.spentMs).toBe(spent)
  })

  it('times async blocks until they settle and counts overlapping ones once', async () => {
    const quota = createQuota(1_000, BudgetError)
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const start = performance.now()
    await Promise.all([quota.run(() => sleep(50)), quota.run(() => sleep(50))])
    const wall = performance.now() - start
    // Counting the overlap twice would spend ~100 ms of budget in ~50 ms of wall time.
    expect(quota.spentMs).toBeGreaterThanOrEqual(49)
    expect(quota.spentMs).toBeLessThanOrEqual(wall)
    const small = createQuota(30, BudgetError)
    await expect(small.run(() => sleep(1_000))).rejects.toBeInstanceOf(BudgetError)
  })

  it('gives async blocks a rejected promise, whether preempted or refused by a spent budget', async () => {
    const quota = createQuota(30, BudgetError)
    let preempted: unknown
    expect(() => {
      preempted = quota.run(async () => busy(1_000))
    }).not.toThrow()
    await expect(preempted).rejects.toBeInstanceOf(BudgetError)
    expect(quota.remainingMs).toBe(0)
    let refused: unknown
    let ran = false
    expect(() => {
      refused = quota.run(async () => {
        ran = true
      })
    }).not.toThrow()
    await expect(refused).rejects.toBeInstanceOf(BudgetError)
    expect(ran).toBe(false)
  })

  it('rejects an invalid budget or error', () => {
    expect(() => createQuota(0)).toThrow(RangeError)
    expect(() => createQuota(Number.NaN)).toThrow(RangeError)
    expect(() => createQuota(10, 'x' as unknown as Error)).toThrow(TypeError)
  })
})
