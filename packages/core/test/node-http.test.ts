import http from 'node:http'
import { type AddressInfo, Socket } from 'node:net'
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

  it('runs onFinish inside the request context by default; hooks with runInContext: false are still called once, with the context as argument', async () => {
    const seen: string[] = []
    const inside = { onFinish: (ctx: { id: string }) => seen.push(`inside ${getContext()?.id === ctx.id}`) }
    // Outside the context only where settling would have to enter it (a 'close' emitted from a
    // socket callback); the argument is the request's context either way.
    const outside = { runInContext: false, onFinish: (ctx: { id: string }, info: { statusCode: number }) => seen.push(`outside ${info.statusCode} ${ctx.id.length}`) }
    for (const hooks of [inside, outside]) {
      const url = await listen(wrapHandler((_req, res) => res.end('ok'), { hooks }))
      await (await fetch(url)).text()
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toEqual(['inside true', 'outside 200 36'])
    expect(() => wrapHandler(() => {}, { hooks: { runInContext: 'no' as never } })).toThrow(TypeError)
  })

  it('settles outside the context, with no AsyncLocalStorage#run, only for hooks that say runInContext: false', () => {
    // A response whose 'close' comes from outside the request (a socket callback), as Node's
    // parser and a gone client make it: the request settles as aborted.
    const closeFromOutside = (hooks: object) => {
      const req = new http.IncomingMessage(new Socket())
      req.method = 'GET'
      req.url = '/'
      const res = new http.ServerResponse(req)
      wrapHandler(() => {}, { hooks })(req, res)
      res.emit('close')
    }
    const seen: string[] = []
    closeFromOutside({ onAbort: (ctx: { id: string }) => seen.push(`default: in context ${getContext()?.id === ctx.id}`) })
    closeFromOutside({ runInContext: false, onAbort: () => seen.push(`runInContext false: in context ${getContext() !== undefined}`) })
    expect(seen).toEqual(['default: in context true', 'runInContext false: in context false'])
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
