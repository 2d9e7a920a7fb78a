import { afterEach, describe, expect, it } from 'vitest'
import {
  createCorrelationId,
  isValidRequestId,
  resolveInboundId,
  traceIdFromCorrelationId,
  traceIdFromTraceparent,
  wrapHandler,
} from '../src/index.js'
import { type TestApp, frameworks } from './helpers/apps.js'
import { listen, rawRequest, request } from './helpers/http.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'

/** Header lines (raw bytes after the name) that must never become a correlation id. */
const hostile: Array<{ name: string; line: Buffer; needle: Buffer }> = [
  { name: 'SQL comment breakout', line: Buffer.from('X-Request-ID: */ DROP TABLE x; --'), needle: Buffer.from('DROP TABLE') },
  { name: 'bare CR header injection', line: Buffer.from('X-Request-ID: abcd1234\rSet-Cookie: evil=1'), needle: Buffer.from('evil=1') },
  { name: 'obs-fold header injection', line: Buffer.from('X-Request-ID: abcd1234\r\n Set-Cookie: evil=1'), needle: Buffer.from('evil=1') },
  { name: '10 KB id', line: Buffer.from(`X-Request-ID: ${'a'.repeat(10_240)}`), needle: Buffer.from('a'.repeat(200)) },
  { name: 'non-ASCII id', line: Buffer.from('X-Request-ID: идентификатор-12345'), needle: Buffer.from('идентификатор') },
  { name: 'empty id', line: Buffer.from('X-Request-ID: '), needle: Buffer.from('X-Request-ID: \r\n') },
  { name: 'two ids', line: Buffer.from('X-Request-ID: first-id-1234\r\nX-Request-ID: second-id-1234'), needle: Buffer.from('-id-1234') },
  { name: 'traceparent with a zero trace id', line: Buffer.from(`traceparent: 00-${'0'.repeat(32)}-00f067aa0ba902b7-01`), needle: Buffer.from('0'.repeat(32)) },
  { name: 'traceparent with a script', line: Buffer.from('traceparent: 00-<script>alert(1)</script>-01'), needle: Buffer.from('<script>') },
]

function rawGet(port: number, headerLine: Buffer): Promise<Buffer> {
  return rawRequest(
    port,
    Buffer.concat([Buffer.from('GET /users/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'), headerLine, Buffer.from('\r\n\r\n')]),
  )
}

function parseRaw(response: Buffer): { status: number; requestId: string | undefined; body: string } {
  const text = response.toString('latin1')
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const status = Number(head.split(' ')[1])
  const requestId = /^x-request-id: (.*)$/im.exec(head)?.[1]
  return { status, requestId, body }
}

describe.each(frameworks)('inbound ids on $name', (framework) => {
  let app: TestApp | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it.each(hostile)('replaces a hostile id ($name) with a fresh UUID, even when upstream ids are trusted', async ({ line, needle }) => {
    app = await framework.build({ trustUpstreamIds: true })
    const response = await rawGet(app.port, line)
    expect(response.includes(needle)).toBe(false)
    const { status, requestId, body } = parseRaw(response)
    // Node's own parser answers 400 to some of these before the app runs; that is fine too.
    if (status === 400) return
    expect(status).toBe(200)
    expect(requestId).toMatch(UUID)
    expect(body).toContain(requestId)
  })

  it('accepts a valid X-Request-ID and traceparent only when upstream ids are trusted', async () => {
    app = await framework.build({ trustUpstreamIds: true })
    const trusted = await request(`${app.url}/users/1`, { headers: { 'x-request-id': 'lb-7f3a9c21.b:9_x' } })
    expect(trusted.headers['x-request-id']).toBe('lb-7f3a9c21.b:9_x')
    expect(JSON.parse(trusted.body)).toMatchObject({ id: 'lb-7f3a9c21.b:9_x' })
    const traced = await request(`${app.url}/users/1`, { headers: { traceparent: TRACEPARENT } })
    expect(traced.headers['x-request-id']).toBe(TRACE_ID)
    const both = await request(`${app.url}/users/1`, { headers: { traceparent: TRACEPARENT, 'x-request-id': 'lb-7f3a9c21' } })
    expect(both.headers['x-request-id']).toBe('lb-7f3a9c21')
    await app.close()

    app = await framework.build({})
    const untrusted = await request(`${app.url}/users/1`, { headers: { 'x-request-id': 'lb-7f3a9c21', traceparent: TRACEPARENT } })
    expect(untrusted.headers['x-request-id']).toMatch(UUID)
    expect(JSON.parse(untrusted.body)).toMatchObject({ id: untrusted.headers['x-request-id'] })
  })
})

describe('adapter id options', () => {
  let close: (() => Promise<void>) | undefined
  const saved = process.env.INTRO_TRUST_UPSTREAM_IDS
  afterEach(async () => {
    await close?.()
    close = undefined
    if (saved === undefined) delete process.env.INTRO_TRUST_UPSTREAM_IDS
    else process.env.INTRO_TRUST_UPSTREAM_IDS = saved
  })

  const serve = async (options: Parameters<typeof wrapHandler>[1]) => {
    const server = await listen((await import('node:http')).createServer(wrapHandler((_req, res) => res.end('ok'), options)))
    close = server.close
    return server.url
  }

  it('trusts upstream ids when INTRO_TRUST_UPSTREAM_IDS=1 and the option is not set; the option wins', async () => {
    process.env.INTRO_TRUST_UPSTREAM_IDS = '1'
    const url = await serve(undefined)
    expect((await request(url, { headers: { 'x-request-id': 'env-trusted-1' } })).headers['x-request-id']).toBe('env-trusted-1')
    await close?.()
    const strict = await serve({ trustUpstreamIds: false })
    expect((await request(strict, { headers: { 'x-request-id': 'env-trusted-1' } })).headers['x-request-id']).toMatch(UUID)
  })

  it('echoes the id in a custom response header, or in none', async () => {
    const custom = await serve({ responseHeader: 'X-Correlation-ID' })
    const reply = await request(custom)
    expect(reply.headers['x-correlation-id']).toMatch(UUID)
    expect(reply.headers['x-request-id']).toBeUndefined()
    await close?.()
    const none = await serve({ responseHeader: false })
    const silent = await request(none)
    expect(silent.headers['x-request-id']).toBeUndefined()
  })
})

describe('correlation id helpers', () => {
  it('createCorrelationId returns distinct v4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 1_000 }, createCorrelationId))
    expect(ids.size).toBe(1_000)
    for (const id of ids) expect(id).toMatch(UUID)
  })

  it('isValidRequestId accepts 8–128 characters of [A-Za-z0-9._:-] and nothing else', () => {
    expect(isValidRequestId('abcd1234')).toBe(true)
    expect(isValidRequestId('a'.repeat(128))).toBe(true)
    for (const bad of ['abc', 'a'.repeat(129), 'abcd 1234', 'abcd1234\r\nx: y', '*/ DROP TABLE x; --', 'idé-12345', '', 42, undefined]) {
      expect(isValidRequestId(bad)).toBe(false)
    }
  })

  it('resolveInboundId ignores a CRLF-injected value even when trusted', () => {
    expect(resolveInboundId({ 'x-request-id': 'abcd1234\r\nSet-Cookie: evil=1' }, true)).toMatch(UUID)
    expect(resolveInboundId({ 'x-request-id': 'abcd1234' }, false)).toMatch(UUID)
    expect(resolveInboundId({ 'x-request-id': ['abcd1234', 'efgh5678'] }, true)).toMatch(UUID)
  })

  it('traceIdFromTraceparent accepts only valid W3C traceparent headers', () => {
    expect(traceIdFromTraceparent(TRACEPARENT)).toBe(TRACE_ID)
    for (const bad of [
      TRACEPARENT.toUpperCase(),
      `ff${TRACEPARENT.slice(2)}`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `${TRACEPARENT}-extra`,
      '',
      undefined,
    ]) {
      expect(traceIdFromTraceparent(bad)).toBeUndefined()
    }
  })

  it('traceIdFromCorrelationId turns UUIDs and 32-hex ids into a trace id, and nothing else', () => {
    expect(traceIdFromCorrelationId('4bf92f35-77b3-4da6-a3ce-929d0e0e4736')).toBe(TRACE_ID)
    expect(traceIdFromCorrelationId(TRACE_ID)).toBe(TRACE_ID)
    expect(traceIdFromCorrelationId('lb-7f3a9c21')).toBeUndefined()
  })
})
