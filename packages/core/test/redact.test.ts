import { describe, expect, it } from 'vitest'
import { REDACTED, looksLikeCredential, redactHeaderValue, redactHeaders, redactText, redactUrl, redactValue, secretKeyMatcher } from '../src/index.js'

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

describe('redaction without a parsable URL', () => {
  it('redacts query secrets of targets no URL parser accepts, keeping the rest byte for byte', () => {
    expect(redactUrl('http://x:99999/login?password=hunter2&next=/home')).toBe('http://x:99999/login?password=[redacted]&next=/home')
    expect(redactUrl('http://[::1/a?token=t0k&x=1')).toBe('http://[::1/a?token=[redacted]&x=1')
    expect(redactUrl('//evil/?api_key=k1;session=s1&q=a%20b#frag')).toBe('//evil/?api_key=[redacted];session=[redacted]&q=a%20b#frag')
    expect(redactUrl('/p?pass%77ord=x&user%5Btoken%5D=y')).toBe('/p?pass%77ord=[redacted]&user%5Btoken%5D=[redacted]')
  })

  it('redacts the password of userinfo up to the last @, and JWT or Bearer values under any parameter name', () => {
    expect(redactUrl('https://u:p@ss@db.example:99999/x')).toBe('https://u:[redacted]@db.example:99999/x')
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'
    expect(redactUrl(`/cb?state=${jwt}&x=1`)).toBe('/cb?state=[redacted]&x=1')
    expect(redactUrl('/cb?auth=Bearer%20abc')).toBe('/cb?auth=[redacted]')
  })
})

describe('redaction by value shape', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'

  it('redacts Bearer/Basic tokens and JWTs under any header name, and URLs in URL-valued headers', () => {
    const out = redactHeaders({
      'x-custom-auth': 'Bearer abc.def',
      'x-upstream': ['Basic dXNlcjpwYXNz', 'plain'],
      'x-id-hint': jwt,
      referer: 'http://x:99999/?password=p',
      accept: 'text/html',
    })
    expect(out).toEqual({
      'x-custom-auth': REDACTED,
      'x-upstream': [REDACTED, 'plain'],
      'x-id-hint': REDACTED,
      referer: 'http://x:99999/?password=[redacted]',
      accept: 'text/html',
    })
    expect(redactHeaderValue('x-note', 'bearer of good news')).toBe(REDACTED)
    expect(looksLikeCredential('just text')).toBe(false)
  })

  it('redacts credentials inside free text, and credential-shaped strings inside values', () => {
    expect(redactText(`GET http://x:99999/a?token=t then ${jwt}`)).toBe('GET http://x:99999/a?token=[redacted] then [redacted]')
    expect(redactText('Bearer abc')).toBe(REDACTED)
    expect(redactValue({ nested: { header: `Bearer ${jwt}` }, note: 'ok' })).toEqual({ nested: { header: REDACTED }, note: 'ok' })
  })
})
