import { describe, expect, it } from 'vitest'
import { TimeoutError, timeboxed } from '../src/index.js'

class RuntimeError extends Error {}

describe('timeboxed', () => {
  it('wraps a function, keeping its arguments, this and result', () => {
    const counter = {
      base: 10,
      add: timeboxed(1_000, RuntimeError)(function (this: { base: number }, n: number) {
        return this.base + n
      }),
    }
    expect(counter.add(5)).toBe(15)
  })

  it('throws a new instance of the class on each timeout', () => {
    const match = timeboxed(20, RuntimeError)((re: RegExp, s: string) => re.test(s))
    const errors: unknown[] = []
    for (let i = 0; i < 2; i++) {
      try {
        match(/^(a+)+$/, `${'a'.repeat(40)}!`)
      } catch (error) {
        errors.push(error)
      }
    }
    expect(errors[0]).toBeInstanceOf(RuntimeError)
    expect(errors[1]).toBeInstanceOf(RuntimeError)
    expect(errors[0]).not.toBe(errors[1])
    expect(match(/^a+$/, 'aaa')).toBe(true)
  })

  it('throws the given error instance itself', () => {
    const instance = new RuntimeError('pattern too slow')
    const spin = timeboxed(20, instance)(() => {
      for (;;) {}
    })
    expect(spin).toThrow(instance)
  })

  it('defaults to TimeoutError and returns a promise for async functions', async () => {
    const wait = timeboxed(20)((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)))
    await expect(wait(1_000)).rejects.toBeInstanceOf(TimeoutError)
    await expect(wait(1)).resolves.toBeUndefined()
  })

  it('returns a rejected promise when the synchronous part of an async function is preempted', async () => {
    const stuck = timeboxed(20, RuntimeError)(async (n: number) => {
      for (;;) n++
    })
    let returned: unknown
    expect(() => {
      returned = stuck(1)
    }).not.toThrow()
    await expect(returned).rejects.toBeInstanceOf(RuntimeError)
  })

  it('validates ms and Err when the wrapper is made', () => {
    expect(() => timeboxed(-1, RuntimeError)).toThrow(RangeError)
    expect(() => timeboxed(10, 42 as unknown as Error)).toThrow(TypeError)
    expect(() => timeboxed(10)('x' as unknown as () => void)).toThrow(TypeError)
  })
})
