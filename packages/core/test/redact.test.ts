import { describe, expect, it } from 'vitest'
import { REDACTED, redactHeaders, redactUrl, redactValue, secretKeyMatcher } from '../src/index.js'

describe('redactHeaders', () => {
  it('replaces Authorization, Cookie, tokens and API keys; keeps the rest', () => {
    const out = redactHeaders({ authorization: 'Bearer abc', cookie: 's=1', 'x-api-key': 'k', 'x-auth-token': 't', accept: 'text/html' })
    expect(out).toEqual({ authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, 'x-auth-token': REDACTED, accept: 'text/html' })
  })
})

describe('redactUrl', () => {
  it('redacts userinfo passwords and secret query parameters, absolute or relative', () => {
    expect(redactUrl('postgres://app:hunter2@db/orders')).not.toContain('hunter2')
    const url = redactUrl('http://h/p?token=abc&page=2&password=x')
    expect(url).not.toContain('abc')
    expect(url).toContain('page=2')
    expect(redactUrl('/login?session=s3cr3t&next=/home')).toMatch(/^\/login\?/)
    expect(redactUrl('/login?session=s3cr3t')).not.toContain('s3cr3t')
  })

  it('returns text without secrets unchanged', () => {
    expect(redactUrl('http://h/users/1?tab=notes')).toBe('http://h/users/1?tab=notes')
  })
})

describe('redactValue', () => {
  it('redacts nested secret keys, survives cycles and bounds depth', () => {
    const value: Record<string, unknown> = { user: { name: 'a', password: 'p' }, list: [{ apiKey: 'k' }], deep: { a: { b: { c: { d: 1 } } } } }
    value.self = value
    const out = redactValue(value, undefined, 3)
    expect(out).toMatchObject({
      user: { name: 'a', password: REDACTED },
      list: [{ apiKey: REDACTED }],
      self: '[circular]',
      deep: { a: { b: '[…]' } },
    })
  })
})

describe('secretKeyMatcher', () => {
  it('extends the defaults with extra names, or replaces them', () => {
    const extended = secretKeyMatcher({ keys: ['ssn'] })
    expect(extended('ssn')).toBe(true)
    expect(extended('authorization')).toBe(true)
    const only = secretKeyMatcher({ keys: /^x-internal$/i, replaceDefaults: true })
    expect(only('X-Internal')).toBe(true)
    expect(only('authorization')).toBe(false)
  })
})
