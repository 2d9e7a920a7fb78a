import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { request as namedRequest } from 'node:http'
import { type Operation, getContext, onOperation, runWithContext, wrapHandler } from '@intro/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { instrumentOutboundHttp } from '../src/index.js'
import { eventually, listen } from './helpers.js'

interface Seen {
  contextId: string | undefined
  headers: http.IncomingHttpHeaders
}

let downstream: Awaited<ReturnType<typeof listen>>
const seen: Seen[] = []
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  // The second service uses the toolkit too and trusts its upstream: it continues the id.
  downstream = await listen(
    wrapHandler(
      (req, res) => {
        seen.push({ contextId: getContext()?.id, headers: req.headers })
        res.end('downstream')
      },
      { trustUpstreamIds: true },
    ),
  )
})
afterAll(async () => {
  await downstream?.close()
})
afterEach(async () => {
  seen.length = 0
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function instrument(options: Parameters<typeof instrumentOutboundHttp>[0] = {}) {
  const stop = instrumentOutboundHttp(options)
  cleanups.push(stop)
  return stop
}

function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = ''
        res.on('data', (chunk) => {
          body += chunk
        })
        res.on('end', () => resolve(body))
      })
      .on('error', reject)
  })
}

describe('instrumentOutboundHttp', () => {
  it('fetch carries X-Request-ID and traceparent and the downstream service continues the id', async () => {
    instrument()
    const id = randomUUID()
    await runWithContext({ id }, async () => (await fetch(`${downstream.url}/a`)).text())
    expect(seen[0]!.headers['x-request-id']).toBe(id)
    expect(seen[0]!.headers.traceparent).toMatch(new RegExp(`^00-${id.replaceAll('-', '')}-[0-9a-f]{16}-01$`))
    expect(seen[0]!.contextId).toBe(id)
  })

  it('node:http get/request carry the ids, including the ESM named export', async () => {
    instrument()
    const id = randomUUID()
    await runWithContext({ id }, () => get(`${downstream.url}/b`))
    await runWithContext(
      { id },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = namedRequest(`${downstream.url}/c`, { method: 'POST' }, (res) => {
            res.resume()
            res.on('end', resolve)
          })
          req.on('error', reject)
          req.end('body')
        }),
    )
    expect(seen.map((s) => s.contextId)).toEqual([id, id])
    expect(seen.every((s) => s.headers.traceparent?.includes(id.replaceAll('-', '')))).toBe(true)
  })

  it('continues the id through a chain: upstream request → toolkit → downstream', async () => {
    instrument()
    const upstream = await listen(
      wrapHandler(async (_req, res) => {
        res.end(await (await fetch(`${downstream.url}/chain`)).text())
      }),
    )
    cleanups.push(() => upstream.close())
    const response = await fetch(upstream.url)
    expect(await response.text()).toBe('downstream')
    expect(seen[0]!.contextId).toBe(response.headers.get('x-request-id'))
  })

  it('keeps headers the caller set and sends nothing outside a context', async () => {
    instrument()
    await runWithContext({ id: randomUUID() }, async () => {
      await fetch(downstream.url, { headers: { 'X-Request-ID': 'caller-chosen-id' } })
      await get(downstream.url, { 'x-request-id': 'caller-chosen-2' })
    })
    await fetch(downstream.url)
    expect(seen.map((s) => s.headers['x-request-id'])).toEqual(['caller-chosen-id', 'caller-chosen-2', undefined])
    expect(seen[2]!.headers.traceparent).toBeUndefined()
  })

  it('sends ids only where propagate allows, and a non-UUID id without traceparent', async () => {
    instrument({ propagate: (origin) => origin === downstream.url })
    await runWithContext({ id: 'order-service-1234' }, async () => {
      await fetch(downstream.url)
      await fetch(downstream.url.replace('127.0.0.1', 'localhost'))
    })
    expect(seen[0]!.headers['x-request-id']).toBe('order-service-1234')
    expect(seen[0]!.headers.traceparent).toBeUndefined()
    expect(seen[1]!.headers['x-request-id']).toBeUndefined()
  })

  it('records calls as http operations by host, ending failed ones with their error', async () => {
    instrument()
    const ended: Array<{ op: Operation; error: unknown }> = []
    cleanups.push(onOperation({ end: (op, info) => ended.push({ op, error: info.error }) }))
    const closed = await listen(() => {})
    const deadUrl = closed.url
    await closed.close()
    const id = randomUUID()
    await runWithContext({ id }, async () => {
      await (await fetch(`${downstream.url}/op`)).text()
      await get(`${downstream.url}/op2`)
      await expect(fetch(`${deadUrl}/f`)).rejects.toThrow()
      await expect(get(`${deadUrl}/g`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    })
    // node:http emits 'close' once the failed socket is closed, a loop turn after 'error'
    const mine = await eventually(() => {
      const list = ended.filter((e) => e.op.context?.id === id)
      return list.length === 4 && list
    })
    const host = new URL(downstream.url).host
    expect(mine.map((e) => [e.op.kind, e.op.attributes.host, e.error === undefined])).toEqual([
      ['http', host, true],
      ['http', host, true],
      ['http', new URL(deadUrl).host, false],
      ['http', new URL(deadUrl).host, false],
    ])
    const current = [...(getContext()?.operations ?? [])]
    expect(current).toEqual([])
  })

  it('ends fetch and node:http calls at the response headers, even when the body is never read', async () => {
    instrument()
    const ended: Array<{ op: Operation; error: unknown }> = []
    cleanups.push(onOperation({ end: (op, info) => ended.push({ op, error: info.error }) }))
    // headers and a first megabyte, then a body that never ends: nothing but the headers can end the call
    const endless = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.write(Buffer.alloc(1024 * 1024))
    })
    cleanups.push(() => endless.close())
    const id = randomUUID()
    const open = await runWithContext({ id }, async () => {
      const response = await fetch(`${endless.url}/fetch`)
      const request = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(`${endless.url}/http`, resolve).on('error', reject)
      })
      return { response, request, context: getContext() }
    })
    cleanups.push(
      () => open.response.body?.cancel(),
      () => open.request.destroy(),
    )
    const mine = await eventually(() => {
      const list = ended.filter((e) => e.op.context?.id === id)
      return list.length === 2 && list
    })
    expect(mine.map((e) => [e.op.description.split(' ')[0], e.error])).toEqual([
      ['GET', undefined],
      ['GET', undefined],
    ])
    expect(mine.map((e) => e.op.description.endsWith('/fetch') || e.op.description.endsWith('/http'))).toEqual([true, true])
    expect(open.context?.operations.size).toBe(0)
  })

  it('an unhandled request error stays unhandled', async () => {
    instrument()
    const closed = await listen(() => {})
    const deadUrl = closed.url
    await closed.close()
    const req = http.request(deadUrl)
    const error = await new Promise<unknown>((resolve) => {
      // what the app would see: the emit throws when nobody listens for 'error'
      const emit = req.emit
      req.emit = function (this: http.ClientRequest, event: string | symbol, ...args: unknown[]) {
        if (event === 'error') {
          try {
            return emit.call(this, event, ...args)
          } catch (thrown) {
            resolve(thrown)
            return true
          }
        }
        return emit.call(this, event, ...args)
      } as typeof req.emit
      req.end()
    })
    expect(error).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('restores node:http when stopped', async () => {
    const before = http.request
    const stop = instrumentOutboundHttp()
    expect(http.request).not.toBe(before)
    stop()
    expect(http.request).toBe(before)
    await runWithContext({ id: randomUUID() }, () => get(downstream.url))
    await runWithContext({ id: randomUUID() }, () => fetch(downstream.url))
    expect(seen.map((s) => s.headers['x-request-id'])).toEqual([undefined, undefined])
  })

  it('installs once: a second install neither sends the ids twice nor records calls twice', async () => {
    const first = instrumentOutboundHttp()
    const second = instrumentOutboundHttp({ requestIdHeader: 'x-correlation-id' })
    cleanups.push(first, second)
    const wrapped = http.request
    const ended: Operation[] = []
    cleanups.push(onOperation({ end: (op) => ended.push(op) }))
    const id = randomUUID()
    await runWithContext({ id }, async () => {
      await (await fetch(`${downstream.url}/once`)).text()
      await get(`${downstream.url}/once`)
    })
    expect(ended.filter((op) => op.context?.id === id)).toHaveLength(2)
    expect(seen.map((s) => [s.headers['x-request-id'], s.headers['x-correlation-id']])).toEqual([
      [id, undefined],
      [id, undefined],
    ])
    // stopping the install that did nothing leaves the first one working
    second()
    expect(http.request).toBe(wrapped)
    first()
    expect(http.request).not.toBe(wrapped)
    // and once both are stopped, a new install works again
    instrument({ requestIdHeader: 'x-correlation-id' })
    await runWithContext({ id }, () => fetch(`${downstream.url}/again`))
    expect(seen[2]!.headers['x-correlation-id']).toBe(id)
  })

  it('rejects bad options', () => {
    expect(() => instrumentOutboundHttp({ requestIdHeader: 'bad header' })).toThrow(TypeError)
    expect(() => instrumentOutboundHttp({ propagate: 'yes' as never })).toThrow(TypeError)
  })
})
