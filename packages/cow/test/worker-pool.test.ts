import { afterEach, describe, expect, it } from 'vitest'
import { CowErrorCode, TimeoutError, type WorkerPool, WorkerPoolError, createWorkerPool } from '../src/index.js'

class RuntimeError extends Error {}

const fixture = new URL('./fixtures/work.mjs', import.meta.url)
const pools: WorkerPool[] = []

function pool(maxWorkers = 1): WorkerPool {
  const created = createWorkerPool({ module: fixture, maxWorkers })
  pools.push(created)
  return created
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

describe('createWorkerPool', () => {
  it('runs an exported function in a worker', async () => {
    await expect(pool().run(1_000, RuntimeError, 'add', 2, 3)).resolves.toBe(5)
    await expect(pool().run(1_000, RuntimeError, 'slowly', 10, 'v')).resolves.toBe('v')
  })

  it('terminates a stuck worker at the deadline and serves the next call with a new one', async () => {
    const p = pool()
    const start = performance.now()
    await expect(p.run(100, RuntimeError, 'spin')).rejects.toBeInstanceOf(RuntimeError)
    // At the deadline (an event-loop timer: up to 1 ms early), within a loaded machine's margin.
    expect(performance.now() - start).toBeGreaterThanOrEqual(99)
    expect(performance.now() - start).toBeLessThan(500)
    await expect(p.run(100, undefined, 'evilRegex', 40)).rejects.toBeInstanceOf(TimeoutError)
    await expect(p.run(2_000, RuntimeError, 'add', 1, 1)).resolves.toBe(2)
    expect(p.size).toBe(1)
  })

  it('keeps the main thread free while a worker is stuck', async () => {
    const p = pool()
    const stuck = p.run(300, RuntimeError, 'spin')
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    await expect(stuck).rejects.toBeInstanceOf(RuntimeError)
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(5)
  })

  it('bounds the number of workers and queues the rest', async () => {
    const p = pool(2)
    const results = await Promise.all([1, 2, 3, 4].map((n) => p.run(5_000, RuntimeError, 'slowly', 20, n)))
    expect(results).toEqual([1, 2, 3, 4])
    expect(p.size).toBeLessThanOrEqual(2)
  })

  it('rethrows what the function throws and reports a missing export or a dead worker', async () => {
    const p = pool()
    await expect(p.run(1_000, RuntimeError, 'fail', 'bad input')).rejects.toThrow(TypeError)
    const missing = await p.run(1_000, RuntimeError, 'notAFunction').catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(WorkerPoolError)
    expect((missing as WorkerPoolError).code).toBe(CowErrorCode.workerFailed)
    const crashed = await p.run(1_000, RuntimeError, 'crash').catch((error: unknown) => error)
    expect((crashed as WorkerPoolError).code).toBe(CowErrorCode.workerFailed)
    await expect(p.run(1_000, RuntimeError, 'add', 1, 2)).resolves.toBe(3)
  })

  it('fails waiting and running calls when closed, and later calls', async () => {
    const p = pool()
    const running = p.run(5_000, RuntimeError, 'spin').catch((error: unknown) => error)
    const waiting = p.run(5_000, RuntimeError, 'add', 1, 2).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await p.close()
    for (const error of [await running, await waiting, await p.run(10, RuntimeError, 'add', 1, 1).catch((e: unknown) => e)]) {
      expect(error).toBeInstanceOf(WorkerPoolError)
      expect((error as WorkerPoolError).code).toBe(CowErrorCode.poolClosed)
    }
    expect(p.size).toBe(0)
  })

  it('rejects invalid options', () => {
    expect(() => createWorkerPool({ module: 'relative/path.js' })).toThrow(TypeError)
    expect(() => createWorkerPool({ module: fixture, maxWorkers: 0 })).toThrow(RangeError)
    expect(() => pool().run(0, RuntimeError, 'add')).toThrow(RangeError)
  })

  it('rejects unknown and misspelled option keys with ERR_INTRO_INVALID_OPTION, before starting a worker', () => {
    for (const options of [{ module: fixture, maxWorker: 2 }, { module: fixture, static: 'x' }, { module: fixture, resourceLimits: 'big' }]) {
      expect(() => createWorkerPool(options as never)).toThrow(expect.objectContaining({ code: 'ERR_INTRO_INVALID_OPTION' }))
    }
    expect(() => createWorkerPool({ module: fixture, maxWorker: 2 } as never)).toThrow(/did you mean `maxWorkers`/)
  })
})
