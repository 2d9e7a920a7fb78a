import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  assertIntegerInRange,
  assertPositiveNumber,
  bindContext,
  envBoolean,
  envList,
  envPort,
  envPositiveNumber,
  envString,
  expressMiddleware,
  fastifyPlugin,
  instrumentServer,
  koaMiddleware,
  onDiagnostic,
  onOperation,
  onRequestLifecycle,
  wrapHandler,
} from '../src/index.js'

/** Asserts `fn` throws a configuration error of class `kind` with core's code. */
function expectConfigError(fn: () => unknown, kind: typeof TypeError | typeof RangeError) {
  let thrown: unknown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(kind)
  expect((thrown as { code?: string }).code).toBe(ErrorCodes.invalidOption)
}

const adapters = {
  wrapHandler: (options: unknown) => wrapHandler(() => {}, options as never),
  expressMiddleware: (options: unknown) => expressMiddleware(options as never),
  fastifyPlugin: (options: unknown) => fastifyPlugin(options as never),
  koaMiddleware: (options: unknown) => koaMiddleware(options as never),
}

describe.each(Object.entries(adapters))('%s options', (_name, create) => {
  const saved = process.env.INTRO_TRUST_UPSTREAM_IDS
  afterEach(() => {
    if (saved === undefined) delete process.env.INTRO_TRUST_UPSTREAM_IDS
    else process.env.INTRO_TRUST_UPSTREAM_IDS = saved
  })

  it('accepts no options and valid options', () => {
    expect(() => create(undefined)).not.toThrow()
    expect(() => create({ hooks: { onStart() {} }, trustUpstreamIds: true, responseHeader: 'X-Correlation-ID' })).not.toThrow()
    expect(() => create({ responseHeader: false })).not.toThrow()
  })

  it('rejects wrong types at construction with TypeError', () => {
    expectConfigError(() => create('yes'), TypeError)
    expectConfigError(() => create({ hooks: 'onStart' }), TypeError)
    expectConfigError(() => create({ hooks: { onFinish: 'log' } }), TypeError)
    expectConfigError(() => create({ trustUpstreamIds: 'yes' }), TypeError)
    expectConfigError(() => create({ responseHeader: 'x-id\r\nset-cookie: a=b' }), TypeError)
    expectConfigError(() => create({ responseHeader: true }), TypeError)
  })

  it('rejects an unreadable INTRO_TRUST_UPSTREAM_IDS with RangeError', () => {
    process.env.INTRO_TRUST_UPSTREAM_IDS = 'maybe'
    expectConfigError(() => create({}), RangeError)
    expect(() => create({ trustUpstreamIds: false })).not.toThrow()
  })
})

describe('other entry points', () => {
  it('reject wrong arguments with TypeError', () => {
    expectConfigError(() => wrapHandler('handler' as never), TypeError)
    expectConfigError(() => instrumentServer({} as never), TypeError)
    expectConfigError(() => onRequestLifecycle('hooks' as never), TypeError)
    expectConfigError(() => onRequestLifecycle({ onAbort: 1 } as never), TypeError)
    expectConfigError(() => onDiagnostic(null as never), TypeError)
    expectConfigError(() => onOperation(null as never), TypeError)
    expectConfigError(() => onOperation({ end: 'x' } as never), TypeError)
    expectConfigError(() => bindContext(1 as never), TypeError)
  })

  it('instrumentServer returns the server it was given', () => {
    const server = http.createServer(() => {})
    expect(instrumentServer(server)).toBe(server)
  })
})

describe('validation helpers', () => {
  it('assertPositiveNumber and assertIntegerInRange throw TypeError for non-numbers, RangeError out of range', () => {
    expect(() => assertPositiveNumber('thresholdMs', 0.5)).not.toThrow()
    expectConfigError(() => assertPositiveNumber('thresholdMs', '5'), TypeError)
    expectConfigError(() => assertPositiveNumber('thresholdMs', 0), RangeError)
    expectConfigError(() => assertPositiveNumber('thresholdMs', Number.POSITIVE_INFINITY), RangeError)
    expect(() => assertIntegerInRange('port', 8125, 1, 65535)).not.toThrow()
    expectConfigError(() => assertIntegerInRange('port', 1.5, 1, 65535), RangeError)
    expectConfigError(() => assertIntegerInRange('port', 70000, 1, 65535), RangeError)
  })

  it('env readers parse values, treat unset as undefined and reject garbage with RangeError', () => {
    const env = { B: 'on', N: '2.5', P: '8125', S: ' host ', L: 'a, b c', BAD: 'nope' }
    expect(envBoolean(env, 'B')).toBe(true)
    expect(envBoolean(env, 'UNSET')).toBeUndefined()
    expectConfigError(() => envBoolean(env, 'BAD'), RangeError)
    expect(envPositiveNumber(env, 'N')).toBe(2.5)
    expectConfigError(() => envPositiveNumber(env, 'BAD'), RangeError)
    expect(envPort(env, 'P')).toBe(8125)
    expectConfigError(() => envPort(env, 'N'), RangeError)
    expect(envString(env, 'S')).toBe('host')
    expect(envList(env, 'L')).toEqual(['a', 'b', 'c'])
    expect(envList(env, 'UNSET')).toBeUndefined()
  })
})
