import { createGeordi, startGeordiWorker } from '@intro/geordi'
import { describe, expect, it } from 'vitest'

function thrownBy(fn: () => unknown): { name?: string; code?: string; message?: string } {
  try {
    fn()
  } catch (error) {
    return error as { name?: string; code?: string }
  }
  throw new Error('expected a throw')
}

function expectInvalid(fn: () => unknown, Kind: typeof TypeError | typeof RangeError) {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(Kind)
  expect(error.code).toBe('ERR_INTRO_INVALID_OPTION')
  return error
}

describe('createGeordi option validation', () => {
  it('rejects timeouts a timer cannot wait for, and fractional or absurd sampling intervals and TTLs', () => {
    for (const option of ['timeLimitMs', 'renderTimeoutMs', 'enqueueTimeoutMs', 'queueTimeoutMs', 'resultTtlMs']) {
      for (const value of [2 ** 31, 1e300, 0, -1, Number.NaN, 1.5]) expectInvalid(() => createGeordi({ [option]: value, env: {} }), RangeError)
      expectInvalid(() => createGeordi({ [option]: '100', env: {} }), TypeError)
    }
    expectInvalid(() => createGeordi({ samplingIntervalUs: 0.001, env: {} }), RangeError)
    expectInvalid(() => createGeordi({ samplingIntervalUs: 10_000_000, env: {} }), RangeError)
    expectInvalid(() => createGeordi({ maxBodyBytes: 2 ** 40, env: {} }), RangeError)
    expectInvalid(() => createGeordi({ env: { GEORDI_TIME_LIMIT_MS: '3000000000' } }), RangeError)
  })

  it('takes minSamples from 0 (no fine profile) up, from the option or GEORDI_MIN_SAMPLES, and rejects negative or fractional counts', async () => {
    for (const value of [-1, 1.5, 2_000_000]) expectInvalid(() => createGeordi({ minSamples: value, env: {} }), RangeError)
    expectInvalid(() => createGeordi({ minSamples: '500' as never, env: {} }), TypeError)
    expectInvalid(() => createGeordi({ env: { GEORDI_MIN_SAMPLES: '-3' } }), RangeError)
    for (const geordi of [createGeordi({ minSamples: 0, env: {} }), createGeordi({ env: { GEORDI_MIN_SAMPLES: '0' } })]) await geordi.close()
  })

  it('rejects unknown and misspelled option keys, suggesting the option meant', () => {
    const error = expectInvalid(() => createGeordi({ authorise: () => true, env: {} } as never), TypeError)
    expect(error.message).toContain('`authorize`')
    expectInvalid(() => createGeordi({ timelimitMs: 1000, env: {} } as never), TypeError)
    expectInvalid(() => createGeordi({ static: 'x', env: {} } as never), TypeError)
  })

  it('rejects names with control characters and values of the wrong type', () => {
    expectInvalid(() => createGeordi({ queueName: 'a\nb', env: {} }), TypeError)
    expectInvalid(() => createGeordi({ outDir: '/tmp/x\u0000y', env: {} }), TypeError)
    expectInvalid(() => createGeordi({ mode: 'fast' as never, env: {} }), RangeError)
    expectInvalid(() => createGeordi({ redisOptions: 'x' as never, env: {} }), TypeError)
    expectInvalid(() => createGeordi({ env: 'x' as never }), TypeError)
  })

  it('accepts every documented option at its limits', async () => {
    const geordi = createGeordi({
      env: {},
      authorize: () => false,
      mode: 'inline',
      maxBodyBytes: 1,
      samplingIntervalUs: 1,
      timeLimitMs: 2 ** 31 - 1,
      queueTimeoutMs: 1,
      enqueueTimeoutMs: 2 ** 31 - 1,
      renderTimeoutMs: 2 ** 31 - 1,
      resultTtlMs: 2 ** 31 - 1,
      queueName: 'q',
      queuePrefix: 'p',
      outDir: '/tmp/intro-geordi-options-test',
      redisOptions: {},
    })
    await geordi.close()
  })
})

describe('startGeordiWorker option validation', () => {
  it('rejects unknown keys and bad limits before connecting to Redis', async () => {
    await expect(startGeordiWorker({ app: './app.js', concurency: 2, env: {} } as never)).rejects.toMatchObject({ code: 'ERR_INTRO_INVALID_OPTION' })
    await expect(startGeordiWorker({ app: './app.js', maxTimeLimitMs: 2 ** 31, env: {} })).rejects.toBeInstanceOf(RangeError)
    await expect(startGeordiWorker({ app: './app.js', concurrency: 1.5, env: {} })).rejects.toBeInstanceOf(RangeError)
  })
})
