import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createGenReqId, fastifyPlugin, genReqId, getContext } from '../src/index.js'
import { request } from './helpers/http.js'

interface LogLine {
  reqId?: string
  msg?: string
}

/** A real Fastify app with its real pino logger writing JSON lines into memory. */
async function appLogging(options: { genReqId: (req: import('node:http').IncomingMessage) => string; trust?: boolean }) {
  const lines: LogLine[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine)
      callback()
    },
  })
  const app = Fastify({ logger: { level: 'info', stream }, genReqId: options.genReqId })
  await app.register(fastifyPlugin({ trustUpstreamIds: options.trust ?? false }))
  app.get('/hello', async (req) => {
    req.log.info('in the handler')
    return { contextId: getContext()?.id }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { app, lines, url: `http://127.0.0.1:${port}` }
}

describe('genReqId for Fastify', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it("puts core's correlation id in every Fastify log line of the request, its own included", async () => {
    const started = await appLogging({ genReqId })
    app = started.app
    const reply = await request(`${started.url}/hello`)
    const id = reply.headers['x-request-id']
    expect(typeof id).toBe('string')
    expect(JSON.parse(reply.body)).toEqual({ contextId: id })
    const requestLines = started.lines.filter((line) => line.reqId !== undefined)
    expect(requestLines.map((line) => line.msg)).toEqual(['incoming request', 'in the handler', 'request completed'])
    for (const line of requestLines) expect(line.reqId).toBe(id)
  })

  it('uses a trusted X-Request-ID as the log id, and a fresh one when untrusted', async () => {
    const trusted = await appLogging({ genReqId: createGenReqId({ trustUpstreamIds: true }), trust: true })
    app = trusted.app
    const reply = await request(`${trusted.url}/hello`, { headers: { 'x-request-id': 'upstream-42' } })
    expect(reply.headers['x-request-id']).toBe('upstream-42')
    expect(trusted.lines.filter((line) => line.reqId !== undefined).every((line) => line.reqId === 'upstream-42')).toBe(true)
    await app.close()

    const untrusted = await appLogging({ genReqId: createGenReqId({ trustUpstreamIds: false }) })
    app = untrusted.app
    const second = await request(`${untrusted.url}/hello`, { headers: { 'x-request-id': 'upstream-42' } })
    expect(second.headers['x-request-id']).not.toBe('upstream-42')
    const ids = new Set(untrusted.lines.filter((line) => line.reqId !== undefined).map((line) => line.reqId))
    expect([...ids]).toEqual([second.headers['x-request-id']])
  })

  it('rejects unknown options', () => {
    expect(() => createGenReqId({ trustUpstream: true } as never)).toThrow(TypeError)
  })
})
