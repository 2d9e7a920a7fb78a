import { type DiagnosticEvent, onDiagnostic } from '@intro/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TimeoutError, createQuota, createWorkerPool, timeboxed, withTimeout } from '../src/index.js'

class NotAnError {}
class Picky extends Error {
  constructor(message?: string) {
    super(message)
    throw new SyntaxError('Picky cannot be built')
  }
}
const factoryFailure = new SyntaxError('factory failed')
const throwingFactory = (): Error => {
  throw factoryFailure
}

function spin(): never {
  for (;;) {}
}

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

const never = () => new Promise<never>(() => {})
const fixture = new URL('./fixtures/work.mjs', import.meta.url)

describe('Err validation', () => {
  it('rejects a class that does not extend Error at the call, with ERR_INTRO_INVALID_OPTION', async () => {
    const Err = NotAnError as unknown as Error
    let ran = false
    const calls: (() => unknown)[] = [
      () =>
        withTimeout(10, Err, () => {
          ran = true
        }),
      () => timeboxed(10, Err),
      () => createQuota(10, Err),
      () => createWorkerPool({ module: fixture }).run(10, Err, 'add', 1, 2),
    ]
    for (const call of calls) {
      const error = caught(call)
      expect(error).toBeInstanceOf(TypeError)
      expect((error as { code?: string }).code).toBe('ERR_INTRO_INVALID_OPTION')
    }
    expect(ran).toBe(false)
  })

  it('still accepts arrow and function factories', () => {
    function legacy(): Error {
      return new RangeError('legacy')
    }
    expect(caught(() => withTimeout(10, legacy, spin))).toBeInstanceOf(RangeError)
    expect(caught(() => withTimeout(10, () => new URIError('arrow'), spin))).toBeInstanceOf(URIError)
  })
})

describe('building the error never throws', () => {
  const diagnostics: DiagnosticEvent[] = []
  let unsubscribe: () => void
  beforeAll(() => {
    unsubscribe = onDiagnostic((event) => diagnostics.push(event))
  })
  afterAll(() => unsubscribe())

  it('falls back to TimeoutError with the failure as cause in a synchronous timeout', () => {
    const fromFactory = caught(() => withTimeout(10, throwingFactory, spin))
    expect(fromFactory).toBeInstanceOf(TimeoutError)
    expect((fromFactory as TimeoutError).cause).toBe(factoryFailure)
    expect((fromFactory as TimeoutError).timeoutMs).toBe(10)
    const fromClass = caught(() => withTimeout(10, Picky, spin))
    expect(fromClass).toBeInstanceOf(TimeoutError)
    expect((fromClass as TimeoutError).cause).toBeInstanceOf(SyntaxError)
    expect(diagnostics.filter((event) => event.scope === 'cow.error').map((event) => event.error)).toContain(factoryFailure)
  })

  it('rejects with TimeoutError instead of throwing from the timer of an async timeout', async () => {
    let signal: AbortSignal | undefined
    const error = await withTimeout(20, throwingFactory, (s) => {
      signal = s
      return never()
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).cause).toBe(factoryFailure)
    expect(signal?.reason).toBe(error)
    await expect(withTimeout(20, Picky, never)).rejects.toBeInstanceOf(TimeoutError)
    await expect(timeboxed(20, throwingFactory)(never)()).rejects.toBeInstanceOf(TimeoutError)
    await expect(createQuota(20, throwingFactory).run(never)).rejects.toBeInstanceOf(TimeoutError)
  })

  it('rejects with TimeoutError when the worker pool’s deadline passes, running or queued', async () => {
    const pool = createWorkerPool({ module: fixture })
    try {
      const running = pool.run(100, throwingFactory, 'spin').catch((e: unknown) => e)
      const queued = pool.run(50, Picky, 'add', 1, 2).catch((e: unknown) => e)
      for (const error of [await running, await queued]) expect(error).toBeInstanceOf(TimeoutError)
      expect(((await running) as TimeoutError).cause).toBe(factoryFailure)
      await expect(pool.run(2_000, throwingFactory, 'add', 1, 2)).resolves.toBe(3)
    } finally {
      await pool.close()
    }
  })
})
