import { randomUUID } from 'node:crypto'
import { EventEmitter, EventEmitterAsyncResource, once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type DiagnosticEvent,
  bindContext,
  getContext,
  inFlightRequests,
  onDiagnostic,
  runWithContext,
  wrapHandler,
} from '../src/index.js'
import { delay, request } from './helpers/http.js'

const idNow = () => getContext()?.id

describe('runWithContext', () => {
  it('gives scripts and jobs an id, a name, args and tags, and returns what fn returns', () => {
    const result = runWithContext({ name: 'send_subscriptions', args: ['1000'], tags: { tenant: 'acme' } }, () => {
      const ctx = getContext()
      return { id: ctx?.id, name: ctx?.name, args: ctx?.args, tags: ctx?.tags, method: ctx?.method }
    })
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(result).toMatchObject({ name: 'send_subscriptions', args: ['1000'], tags: { tenant: 'acme' }, method: undefined })
    expect(getContext()).toBeUndefined()
  })

  it('keeps a valid id it is given and lets tags be added later', async () => {
    await runWithContext({ id: 'job-7f3a9c21' }, async () => {
      const ctx = getContext()
      if (ctx) ctx.tags.user = '42'
      await delay(1)
      expect(getContext()?.id).toBe('job-7f3a9c21')
      expect(getContext()?.tags).toEqual({ user: '42' })
    })
  })

  it('replaces an invalid id with a fresh one and reports it to diagnostics', () => {
    const events: DiagnosticEvent[] = []
    const off = onDiagnostic((event) => events.push(event))
    try {
      const id = runWithContext({ id: 'x\r\nSet-Cookie: a=b' }, idNow)
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ level: 'warn', scope: 'core.context' })
    } finally {
      off()
    }
  })

  it('nests: the inner context wins inside, the outer one comes back after', async () => {
    await runWithContext({ id: 'outer-12345' }, async () => {
      await runWithContext({ id: 'inner-12345' }, async () => {
        await delay(1)
        expect(idNow()).toBe('inner-12345')
      })
      expect(idNow()).toBe('outer-12345')
    })
  })

  it('rejects a non-object init and a non-function fn with TypeError', () => {
    expect(() => runWithContext(null as never, () => 1)).toThrow(TypeError)
    expect(() => runWithContext({}, 'nope' as never)).toThrow(TypeError)
    expect(() => runWithContext({ args: [1] as never }, () => 1)).toThrow(TypeError)
    expect(() => runWithContext({ tags: 'x' as never }, () => 1)).toThrow(TypeError)
  })
})

describe('context propagation', () => {
  const inContext = <T>(fn: () => Promise<T>) => runWithContext({ id: `ctx-${randomUUID()}` }, async () => ({ id: idNow(), value: await fn() }))

  it('survives await, setTimeout, setImmediate, setInterval, nextTick and queueMicrotask', async () => {
    const { id, value } = await inContext(async () => {
      const seen: Array<string | undefined> = []
      await delay(1)
      seen.push(idNow())
      await new Promise<void>((resolve) => setTimeout(() => resolve(void seen.push(idNow())), 1))
      await new Promise<void>((resolve) => setImmediate(() => resolve(void seen.push(idNow()))))
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          clearInterval(timer)
          resolve(void seen.push(idNow()))
        }, 1)
      })
      await new Promise<void>((resolve) => process.nextTick(() => resolve(void seen.push(idNow()))))
      await new Promise<void>((resolve) => queueMicrotask(() => resolve(void seen.push(idNow()))))
      return seen
    })
    expect(value).toEqual(Array(6).fill(id))
  })

  it('reaches listeners of an emitter the request created, even when it emits from a timer', async () => {
    const { id, value } = await inContext(async () => {
      const emitter = new EventEmitter()
      const heard = once(emitter, 'done')
      let seen: string | undefined
      emitter.on('done', () => {
        seen = idNow()
      })
      setTimeout(() => emitter.emit('done'), 1)
      await heard
      return seen
    })
    expect(value).toBe(id)
  })

  it('does not reach a listener of a shared emitter that emits from elsewhere, unless bound with bindContext', async () => {
    const shared = new EventEmitter()
    const { id, value } = await inContext(async () => {
      const seen: Record<string, string | undefined> = {}
      shared.once('tick', () => {
        seen.plain = idNow()
      })
      shared.once(
        'tick',
        bindContext(() => {
          seen.bound = idNow()
        }),
      )
      // The emit happens in another context (another request, a timer set at startup, ...).
      await runWithContext({ id: 'someone-else' }, async () => {
        await delay(1)
        shared.emit('tick')
      })
      return seen
    })
    expect(value.plain).toBe('someone-else')
    expect(value.bound).toBe(id)
  })

  it('binds emitters that extend EventEmitterAsyncResource to the context they were created in', async () => {
    const { id, value } = await inContext(async () => {
      const emitter = new EventEmitterAsyncResource({ name: 'job' })
      let seen: string | undefined
      emitter.on('done', () => {
        seen = idNow()
      })
      await runWithContext({ id: 'someone-else' }, async () => emitter.emit('done'))
      return seen
    })
    expect(value).toBe(id)
  })

  it('flows through stream pipelines: source, transform and sink all see the request', async () => {
    const { id, value } = await inContext(async () => {
      const seen = new Set<string | undefined>()
      let sent = false
      const source = new Readable({
        read() {
          setTimeout(() => {
            seen.add(idNow())
            this.push(sent ? null : 'chunk')
            sent = true
          }, 1)
        },
      })
      const upper = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          setImmediate(() => {
            seen.add(idNow())
            callback(null, chunk.toString().toUpperCase())
          })
        },
      })
      let written = ''
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          seen.add(idNow())
          written += chunk
          callback()
        },
      })
      await pipeline(source, upper, sink)
      seen.add(idNow())
      return { seen: [...seen], written }
    })
    expect(value).toEqual({ seen: [id], written: 'CHUNK' })
  })

  it('is undefined outside any request, script or job', async () => {
    expect(getContext()).toBeUndefined()
    await delay(1)
    expect(getContext()).toBeUndefined()
  })
})

describe('isolation under concurrency', () => {
  let server: http.Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
    server = undefined
  })

  it('never lets 1,000 concurrent requests with random delays see each other’s context', async () => {
    const total = 1_000
    let peak = 0
    server = http.createServer(
      wrapHandler(async (req, res) => {
        const mine = getContext()
        const n = req.headers['x-n']
        const checks: boolean[] = []
        const check = () => checks.push(getContext() === mine && getContext()?.headers?.['x-n'] === n)
        peak = Math.max(peak, inFlightRequests().length)
        for (let step = 0; step < 4; step++) {
          await delay(Math.random() * 20)
          check()
          await new Promise((resolve) => setImmediate(resolve))
          check()
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ id: getContext()?.id, n, ok: checks.every(Boolean) && checks.length === 8 }))
      }),
    )
    server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 })
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const replies = await Promise.all(
      Array.from({ length: total }, (_, i) => request(`http://127.0.0.1:${port}/r/${i}`, { headers: { 'x-n': String(i) } })),
    )
    const bodies = replies.map((reply) => ({ header: reply.headers['x-request-id'], ...(JSON.parse(reply.body) as { id: string; n: string; ok: boolean }) }))
    expect(bodies.filter((body) => !body.ok)).toEqual([])
    expect(bodies.every((body, i) => body.n === String(i) && body.id === body.header)).toBe(true)
    expect(new Set(bodies.map((body) => body.id)).size).toBe(total)
    // The point is overlap: many requests were in flight at once.
    expect(peak).toBeGreaterThan(100)
    expect(inFlightRequests()).toEqual([])
  })
})
