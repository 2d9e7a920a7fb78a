import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { fastifyPlugin, getContext } from '../src/index.js'
import { delay, request, within } from './helpers/http.js'

describe('fastifyPlugin', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('keeps the context in async and callback hooks of every stage, in encapsulated plugins too', async () => {
    const seen: Record<string, string | undefined> = {}
    let responded!: () => void
    const done = new Promise<void>((resolve) => {
      responded = resolve
    })
    app = Fastify()
    await app.register(fastifyPlugin())
    app.addHook('onRequest', async () => {
      await delay(1)
      seen.onRequest = getContext()?.id
    })
    app.addHook('preParsing', (_request, _reply, payload, next) => {
      seen.preParsing = getContext()?.id
      next(null, payload)
    })
    app.addHook('preValidation', async () => {
      seen.preValidation = getContext()?.id
    })
    app.addHook('onSend', async (_request, _reply, payload) => {
      await delay(1)
      seen.onSend = getContext()?.id
      return payload
    })
    app.addHook('onResponse', async () => {
      seen.onResponse = getContext()?.id
      responded()
    })
    await app.register(async (child) => {
      child.addHook('preHandler', (_request, _reply, next) => {
        setTimeout(() => {
          seen.preHandler = getContext()?.id
          next()
        }, 1)
      })
      child.post('/orders/:id', async (request) => {
        await delay(2)
        seen.handler = getContext()?.id
        return { route: getContext()?.route, body: request.body }
      })
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const reply = await request(`http://127.0.0.1:${port}/orders/9`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"qty":2}',
      bodyDelayMs: 30,
    })
    await within(done, 5_000, 'onResponse')
    const id = reply.headers['x-request-id']
    expect(JSON.parse(reply.body)).toEqual({ route: '/orders/:id', body: { qty: 2 } })
    expect(seen).toEqual({
      onRequest: id,
      preParsing: id,
      preValidation: id,
      preHandler: id,
      handler: id,
      onSend: id,
      onResponse: id,
    })
  })

  it('knows the route template already when the request starts', async () => {
    let routeAtStart: string | undefined
    app = Fastify()
    await app.register(fastifyPlugin({ hooks: { onStart: (ctx) => (routeAtStart = ctx.route) } }))
    app.get('/users/:id', async () => 'ok')
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    await request(`http://127.0.0.1:${port}/users/1`)
    expect(routeAtStart).toBe('/users/:id')
  })
})
