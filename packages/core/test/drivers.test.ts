import { randomUUID } from 'node:crypto'
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@intro/test-utils'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getContext, preservePgContext, runWithContext } from '../src/index.js'

const idNow = () => getContext()?.id

describe('context in pg callbacks (real PostgreSQL)', () => {
  let server: PostgresServer
  let client: pg.Client
  let pool: pg.Pool
  let unpatch: (() => void) | undefined

  beforeAll(async () => {
    server = await startPostgres()
    // Connected outside any request, as apps do at startup: pg's socket callbacks then run in
    // that (empty) context, whichever request issued the query.
    client = new pg.Client({ connectionString: server.connectionString })
    await client.connect()
    pool = new pg.Pool({ connectionString: server.connectionString, max: 2 })
    await pool.query('SELECT 1')
  })
  afterEach(() => {
    unpatch?.()
    unpatch = undefined
  })
  afterAll(async () => {
    await client?.end()
    await pool?.end()
    await server?.stop()
  })

  const callbackQuery = (run: (cb: (error: Error | null) => void) => void) =>
    runWithContext({ id: `req-${randomUUID()}` }, () => {
      const id = idNow()
      return new Promise<{ id: string | undefined; seen: string | undefined }>((resolve, reject) => {
        run((error) => (error ? reject(error) : resolve({ id, seen: idNow() })))
      })
    })

  it('keeps the context across await client.query() without any help', async () => {
    const result = await runWithContext({ id: 'await-12345' }, async () => {
      await client.query('SELECT pg_sleep(0.01)')
      await pool.query('SELECT 1')
      return idNow()
    })
    expect(result).toBe('await-12345')
  })

  it('loses the context in callback-style queries without preservePgContext (the reason it exists)', async () => {
    const { seen } = await callbackQuery((cb) => client.query('SELECT 1', cb))
    expect(seen).toBeUndefined()
  })

  it('runs Client and Pool callbacks in the caller’s context with preservePgContext', async () => {
    unpatch = preservePgContext(pg)
    const viaClient = await callbackQuery((cb) => client.query('SELECT $1::int AS n', [1], cb))
    expect(viaClient.seen).toBe(viaClient.id)
    const viaPool = await callbackQuery((cb) => pool.query('SELECT 1', cb))
    expect(viaPool.seen).toBe(viaPool.id)
    const viaConnect = await callbackQuery((cb) =>
      pool.connect((error, pooled, release) => {
        if (error || !pooled) return cb(error ?? new Error('no client'))
        pooled.query('SELECT 1', (queryError: Error | null) => {
          release()
          cb(queryError)
        })
      }),
    )
    expect(viaConnect.seen).toBe(viaConnect.id)
  })

  it('keeps 50 concurrent callback queries apart and unpatches cleanly', async () => {
    unpatch = preservePgContext(pg)
    preservePgContext(pg) // a second call does not wrap twice
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => callbackQuery((cb) => pool.query(`SELECT pg_sleep(${(i % 5) / 1000})`, cb))),
    )
    expect(results.filter((r) => r.seen !== r.id)).toEqual([])
    unpatch()
    unpatch = undefined
    const { seen } = await callbackQuery((cb) => client.query('SELECT 1', cb))
    expect(seen).toBeUndefined()
  })

  it('rejects something that is not the pg module with TypeError', () => {
    expect(() => preservePgContext({} as never)).toThrow(TypeError)
  })
})

describe('context in ioredis callbacks (real Redis)', () => {
  let server: RedisServer
  let redis: Redis
  beforeAll(async () => {
    server = await startRedis()
    redis = new Redis({ host: server.host, port: server.port })
    await redis.ping()
  })
  afterAll(async () => {
    redis?.disconnect()
    await server?.stop()
  })

  it('keeps the context in command callbacks, pipelines and awaits', async () => {
    const key = `k-${randomUUID()}`
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        runWithContext({ id: `redis-${i}-${randomUUID()}` }, async () => {
          const id = idNow()
          const seen: Array<string | undefined> = []
          await new Promise<void>((resolve, reject) =>
            redis.incr(key, (error) => {
              seen.push(idNow())
              return error ? reject(error) : resolve()
            }),
          )
          await new Promise<void>((resolve, reject) =>
            redis
              .pipeline()
              .get(key)
              .exec((error) => {
                seen.push(idNow())
                return error ? reject(error) : resolve()
              }),
          )
          await redis.get(key)
          seen.push(idNow())
          return seen.every((s) => s === id)
        }),
      ),
    )
    expect(results.every(Boolean)).toBe(true)
    expect(await redis.get(key)).toBe('50')
  })
})
