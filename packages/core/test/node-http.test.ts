import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type Operation, getContext, inFlightRequests, onRequestLifecycle, trackOperation, wrapHandler } from '../src/index.js'

const servers: http.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('wrapHandler', () => {
  it('gives each request a context that survives await and timers, and echoes its id', async () => {
    const seen: string[] = []
    const url = await listen(
      wrapHandler(async (_req, res) => {
        const before = getContext()?.id
        await new Promise((r) => setTimeout(r, 5))
        const after = getContext()?.id
        seen.push(`${before === after}`)
        res.end(after)
      }),
    )
    const response = await fetch(`${url}/x?y=1`)
    const body = await response.text()
    expect(response.headers.get('x-request-id')).toBe(body)
    expect(body).toMatch(/^[0-9a-f-]{36}$/)
    expect(seen).toEqual(['true'])
  })

  it('reports start and finish with status and duration, and forgets finished requests', async () => {
    const events: string[] = []
    const off = onRequestLifecycle({
      onStart: (ctx) => events.push(`start ${ctx.method} ${new URL(ctx.url ?? '').pathname}`),
      onFinish: (_ctx, info) => events.push(`finish ${info.statusCode} ${info.durationMs >= 0}`),
    })
    try {
      const url = await listen(wrapHandler((_req, res) => {
        res.statusCode = 201
        res.end()
      }))
      await (await fetch(`${url}/created`, { method: 'POST' })).text()
      await new Promise((r) => setTimeout(r, 10))
      expect(events).toEqual(['start POST /created', 'finish 201 true'])
      expect(inFlightRequests()).toEqual([])
    } finally {
      off()
    }
  })

  it('records in-flight operations of the request with the stack where they began', async () => {
    let snapshot: Operation[] = []
    const url = await listen(
      wrapHandler(async (_req, res) => {
        await trackOperation({ kind: 'sql', description: 'SELECT 1' }, async function issueQuery() {
          snapshot = [...(inFlightRequests()[0]?.operations ?? [])]
          await new Promise((r) => setTimeout(r, 5))
        })
        res.end(String(getContext()?.operations.size))
      }),
    )
    const body = await (await fetch(url)).text()
    expect(body).toBe('0')
    const [op] = snapshot
    expect(op?.kind).toBe('sql')
    expect(op?.stack).toContain('node-http.test.ts')
  })
})
