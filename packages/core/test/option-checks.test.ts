import { describe, expect, it } from 'vitest'
import {
  MAX_TIMER_MS,
  checkDurationMs,
  checkEnum,
  checkInteger,
  checkString,
  closestName,
  expressMiddleware,
  fastifyPlugin,
  koaMiddleware,
  optional,
  rejectUnknownKeys,
  runWithContext,
  wrapHandler,
} from '../src/index.js'

function thrown(fn: () => unknown): { code?: string; message?: string } | undefined {
  try {
    fn()
  } catch (error) {
    return error as { code?: string; message?: string }
  }
  return undefined
}

function expectInvalid(fn: () => unknown, Kind: typeof TypeError | typeof RangeError) {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(Kind)
  expect(error?.code).toBe('ERR_INTRO_INVALID_OPTION')
  return error
}

describe('option checkers', () => {
  it('checkDurationMs accepts whole milliseconds a timer can wait for, nothing else', () => {
    expect(checkDurationMs('timeLimitMs', MAX_TIMER_MS)).toBe(MAX_TIMER_MS)
    for (const value of [MAX_TIMER_MS + 1, 1e300, 0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(expectInvalid(() => checkDurationMs('timeLimitMs', value), RangeError)?.message).toContain('timeLimitMs')
    }
    expectInvalid(() => checkDurationMs('timeLimitMs', '100'), TypeError)
  })

  it('checkString refuses control characters and the forbidden characters it is given', () => {
    expect(checkString('prefix', 'app.web')).toBe('app.web')
    for (const value of ['a\nb', 'a\rb', 'a\u0000b']) expectInvalid(() => checkString('prefix', value), TypeError)
    expectInvalid(() => checkString('prefix', 'a:b', { forbidden: /:/ }), TypeError)
    expectInvalid(() => checkString('prefix', ''), TypeError)
    expect(checkString('prefix', '', { allowEmpty: true })).toBe('')
    expectInvalid(() => checkString('prefix', 'x'.repeat(2000)), RangeError)
  })

  it('checkEnum, checkInteger and optional', () => {
    expect(checkEnum('mode', 'queue', ['auto', 'queue'])).toBe('queue')
    expectInvalid(() => checkEnum('mode', 'fast', ['auto', 'queue']), RangeError)
    expectInvalid(() => checkInteger('port', 70000, 1, 65535), RangeError)
    expect(optional(undefined, (v) => checkInteger('port', v, 1, 65535), 8125)).toBe(8125)
  })
})

describe('rejectUnknownKeys', () => {
  it('names the unknown key and the option probably meant', () => {
    const error = expectInvalid(() => rejectUnknownKeys('createStats options', { prefx: 'a' }, ['prefix', 'port']), TypeError)
    expect(error?.message).toContain('`prefx`')
    expect(error?.message).toContain('did you mean `prefix`?')
    expect(closestName('authorise', ['authorize', 'mode'])).toBe('authorize')
    expect(closestName('static', ['authorize', 'mode'])).toBeUndefined()
    expect(() => rejectUnknownKeys('x', { prefix: 1 }, ['prefix'])).not.toThrow()
  })

  it('is applied by every core adapter and runWithContext', () => {
    for (const create of [expressMiddleware, fastifyPlugin, koaMiddleware, (o: never) => wrapHandler(() => {}, o)]) {
      expect(expectInvalid(() => create({ trustUpstreamId: true } as never), TypeError)?.message).toContain('`trustUpstreamIds`')
      expectInvalid(() => create({ static: 'x' } as never), TypeError)
    }
    expectInvalid(() => runWithContext({ nmae: 'job' } as never, () => 1), TypeError)
  })
})
