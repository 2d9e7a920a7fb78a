import { afterEach, describe, expect, it } from 'vitest'
import { type LifecycleHooks, type RequestContext, inFlightRequests } from '../src/index.js'
import { type TestApp, frameworks } from './helpers/apps.js'
import { request, requestThenDestroy, within } from './helpers/http.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

interface Recorded {
  event: 'start' | 'finish' | 'abort'
  id: string
  method?: string | undefined
  url?: string | undefined
  testHeader?: unknown
  route?: string | undefined
  statusCode?: number
  durationMs?: number
}

function recorder() {
  const events: Recorded[] = []
  const waiters: Array<{ event: Recorded['event']; resolve: (r: Recorded) => void }> = []
  const push = (record: Recorded) => {
    events.push(record)
    for (const waiter of waiters.filter((w) => w.event === record.event)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(record)
    }
  }
  const hooks: LifecycleHooks = {
    onStart: (ctx: RequestContext) =>
      push({ event: 'start', id: ctx.id, method: ctx.method, url: ctx.url, testHeader: ctx.headers?.['x-test'] }),
    onFinish: (ctx, info) => push({ event: 'finish', id: ctx.id, route: ctx.route, ...info }),
    onAbort: (ctx, info) => push({ event: 'abort', id: ctx.id, route: ctx.route, ...info }),
  }
  const next = (event: Recorded['event']) => new Promise<Recorded>((resolve) => waiters.push({ event, resolve }))
  return { events, hooks, next }
}

describe.each(frameworks)('$name adapter', (framework) => {
  let app: TestApp | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('reports start (method, full URL, headers) then finish (status, duration, route template)', async () => {
    const { events, hooks, next } = recorder()
    app = await framework.build({ hooks })
    const finished = next('finish')
    const reply = await request(`${app.url}/users/42?tab=notes`, { headers: { 'x-test': 'yes' } })
    await within(finished, 5_000, 'finish event')

    expect(reply.status).toBe(200)
    const body = JSON.parse(reply.body) as { id: string; same: boolean }
    expect(body.same).toBe(true)
    expect(body.id).toMatch(UUID)
    expect(reply.headers['x-request-id']).toBe(body.id)
    expect(events.map((e) => e.event)).toEqual(['start', 'finish'])
    const [start, finish] = events
    expect(start).toMatchObject({ id: body.id, method: 'GET', url: `${app.url}/users/42?tab=notes`, testHeader: 'yes' })
    expect(finish).toMatchObject({ id: body.id, statusCode: 200, route: framework.routes?.user })
    expect(finish?.durationMs).toBeGreaterThanOrEqual(0)
    expect(finish?.durationMs).toBeLessThan(5_000)
    expect(inFlightRequests().some((ctx) => ctx.id === body.id)).toBe(false)
  })

  it('knows the route template of a router mounted under a prefix', async () => {
    const { events, hooks, next } = recorder()
    app = await framework.build({ hooks })
    const finished = next('finish')
    const reply = await request(`${app.url}/api/items/7`)
    await within(finished, 5_000, 'finish event')
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toMatchObject({ same: true })
    expect(events.at(-1)).toMatchObject({ event: 'finish', route: framework.routes?.item })
  })

  it('gives the full URL and headers as the request arrived, when first read after a mounted router rewrote req.url', async () => {
    let finished: (seen: { url?: string; header?: unknown }) => void = () => {}
    const seen = new Promise<{ url?: string; header?: unknown }>((resolve) => {
      finished = resolve
    })
    // Nothing reads the context before the request finishes: url and headers are built lazily.
    app = await framework.build({ hooks: { onFinish: (ctx) => finished({ url: ctx.url, header: ctx.headers?.['x-test'] }) } })
    const reply = await request(`${app.url}/api/items/7?x=1`, { headers: { 'x-test': 'late' } })
    expect(reply.status).toBe(200)
    expect(await within(seen, 5_000, 'finish event')).toEqual({ url: `${app.url}/api/items/7?x=1`, header: 'late' })
  })

  it('keeps the context while a request body arrives in a later packet', async () => {
    const { events, hooks, next } = recorder()
    app = await framework.build({ hooks })
    const finished = next('finish')
    const reply = await request(`${app.url}/users/42/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
      bodyDelayMs: 50,
    })
    await within(finished, 5_000, 'finish event')
    expect(reply.status).toBe(201)
    const body = JSON.parse(reply.body) as { id: string; body: unknown }
    expect(body).toEqual({ id: reply.headers['x-request-id'], body: { text: 'hello' } })
    expect(events.at(-1)).toMatchObject({ event: 'finish', statusCode: 201, route: framework.routes?.notes })
  })

  it('reports the status of an unmatched request', async () => {
    const { events, hooks, next } = recorder()
    app = await framework.build({ hooks })
    const finished = next('finish')
    const reply = await request(`${app.url}/nowhere`)
    await within(finished, 5_000, 'finish event')
    expect(reply.status).toBe(404)
    expect(events.map((e) => `${e.event} ${e.statusCode ?? ''}`.trim())).toEqual(['start', 'finish 404'])
  })

  it('reports an abort, not a finish, when the client destroys the socket mid-request', async () => {
    const { events, hooks, next } = recorder()
    app = await framework.build({ hooks })
    const started = next('start')
    const aborted = next('abort')
    await requestThenDestroy(`${app.url}/slow`, started)
    const abort = await within(aborted, 5_000, 'abort event')
    const start = await started
    expect(abort.id).toBe(start.id)
    expect(abort.durationMs).toBeGreaterThanOrEqual(0)
    expect(inFlightRequests().some((ctx) => ctx.id === start.id)).toBe(false)
    app.release()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(events.map((e) => e.event)).toEqual(['start', 'abort'])
  })

  it('keeps 50 concurrent requests apart', async () => {
    app = await framework.build({})
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => request(`${app?.url}/users/${i}`)))
    const ids = replies.map((reply) => {
      const body = JSON.parse(reply.body) as { id: string; same: boolean }
      expect(body.same).toBe(true)
      expect(body.id).toBe(reply.headers['x-request-id'])
      return body.id
    })
    expect(new Set(ids).size).toBe(50)
  })
})
