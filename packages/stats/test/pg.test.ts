import { randomUUID } from 'node:crypto'
import {
  type DiagnosticEvent,
  type Operation,
  expressMiddleware,
  getContext,
  onDiagnostic,
  onOperation,
  runWithContext,
  wrapHandler,
} from '@intro/core'
import { type PostgresServer, startPostgres } from '@intro/test-utils'
import express from 'express'
import express4 from 'express4'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { StatsError, instrumentPg } from '../src/index.js'
import { eventually, listen } from './helpers.js'

let postgres: PostgresServer
let pool: pg.Pool
let observer: pg.Client
let unpatch: () => void = () => {}
const cleanups: Array<() => Promise<unknown> | unknown> = []

const COMMENT = /^\/\*((?:[a-z_]+='[^']*',?)+)\*\/ /

function parseComment(sql: string): Record<string, string> {
  const match = COMMENT.exec(sql)
  if (match === null) return {}
  const pairs: Record<string, string> = {}
  for (const part of match[1]!.split(',')) {
    const [key, value] = part.split('=') as [string, string]
    pairs[key] = decodeURIComponent(value.slice(1, -1))
  }
  return pairs
}

beforeAll(async () => {
  postgres = await startPostgres()
  // the observer connects before patching: its own queries stay uncommented
  observer = new pg.Client({ connectionString: postgres.connectionString })
  await observer.connect()
  unpatch = instrumentPg(pg)
  pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 })
})
afterAll(async () => {
  unpatch()
  await pool?.end()
  await observer?.end()
  await postgres?.stop()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})


async function waitForRunning(marker: string): Promise<string> {
  const deadline = Date.now() + 5000
  for (;;) {
    const { rows } = await observer.query<{ query: string }>(
      "SELECT query FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
      [marker],
    )
    if (rows[0] !== undefined) return rows[0].query
    if (Date.now() > deadline) throw new Error(`query ${marker} never showed up`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('instrumentPg', () => {
  it('shows the request id in pg_stat_activity while the query runs, and in the server log', async () => {
    const id = randomUUID()
    const marker = `m_${randomUUID().slice(0, 8)}`
    const running = runWithContext({ id }, () => pool.query(`SELECT pg_sleep(0.6), '${marker}' AS marker`))
    const seen = await waitForRunning(marker)
    await running
    expect(seen.startsWith('/*')).toBe(true)
    expect(parseComment(seen)).toEqual({ request_id: id })
    expect(postgres.readLog()).toContain(`/*request_id='${id}'*/ SELECT pg_sleep(0.6)`)
  })

  it('comments Client#query with a job name and arguments outside requests', async () => {
    const client = new pg.Client({ connectionString: postgres.connectionString })
    await client.connect()
    cleanups.push(() => client.end())
    const marker = `m_${randomUUID().slice(0, 8)}`
    const running = runWithContext({ name: 'manage.py', args: ['send_subscriptions', '1000'] }, () =>
      client.query({ text: `SELECT pg_sleep(0.4), $1::text AS m`, values: [marker] }),
    )
    const seen = await waitForRunning('pg_sleep(0.4)')
    await running
    expect(parseComment(seen)).toMatchObject({ job: 'manage.py', args: 'send_subscriptions 1000' })
    expect(Object.keys(parseComment(seen))).toEqual(['args', 'job', 'request_id'])
  })

  it('comments queries of a request served through core adapters, with callbacks too', async () => {
    const server = await listen(
      wrapHandler((req, res) => {
        pool.query(`SELECT '${req.url}' AS url`, (error: Error | undefined) => {
          res.statusCode = error ? 500 : 200
          res.end()
        })
      }),
    )
    cleanups.push(() => server.close())
    const response = await fetch(`${server.url}/callback-${randomUUID().slice(0, 6)}`)
    expect(response.status).toBe(200)
    const id = response.headers.get('x-request-id')!
    await eventually(() => postgres.readLog().includes(`/*request_id='${id}'*/ SELECT`))
  })

  it('adds the route template of an express request', async () => {
    const app = express()
    app.use(expressMiddleware())
    app.get('/orders/:id', async (req, res) => {
      await pool.query('SELECT $1::text AS order_id', [req.params.id])
      res.send('ok')
    })
    const server = await listen(app)
    cleanups.push(() => server.close())
    const response = await fetch(`${server.url}/orders/42`)
    const id = response.headers.get('x-request-id')!
    await eventually(() => postgres.readLog().includes(`/*request_id='${id}',route='%2Forders%2F%3Aid'*/ SELECT $1::text`))
  })

  it.each([
    { name: 'express 5', lib: express },
    { name: 'express 4', lib: express4 as unknown as typeof express },
  ])('comments with the mount pattern, never the raw tenant, under $name app.use("/t/:tenant", router)', async ({ lib }) => {
    const app = lib()
    app.use(expressMiddleware())
    const router = lib.Router({ mergeParams: true })
    router.get('/items/:id', async (req, res) => {
      await pool.query(`SELECT $1::text AS item_${marker}`, [req.params.id])
      res.send('ok')
    })
    app.use('/t/:tenant', router)
    const marker = randomUUID().slice(0, 8)
    const server = await listen(app)
    cleanups.push(() => server.close())
    const tenants = Array.from({ length: 20 }, (_, i) => `acme${i}x${marker}`)
    for (const tenant of tenants) expect((await fetch(`${server.url}/t/${tenant}/items/7`)).status).toBe(200)
    const lines = await eventually(() => {
      const found = postgres.readLog().split('\n').filter((line) => line.includes(`AS item_${marker}`) && line.includes('request_id'))
      return found.length === tenants.length && found
    })
    const routes = new Set(lines.map((line) => parseComment(line.slice(line.indexOf('/*'))).route))
    expect(routes).toEqual(new Set(['/t/:tenant/items/:id']))
    expect(lines.join('\n')).not.toContain(`x${marker}`)
  })

  it('rejects a hostile inbound id: the comment carries a fresh id instead', async () => {
    const server = await listen(
      wrapHandler(
        async (_req, res) => {
          await pool.query('SELECT 1 AS hostile_check')
          res.end()
        },
        { trustUpstreamIds: true },
      ),
    )
    cleanups.push(() => server.close())
    const hostile = "abcdefgh'*/ DROP TABLE x; --"
    const response = await fetch(server.url, { headers: { 'x-request-id': hostile } })
    const id = response.headers.get('x-request-id')!
    expect(id).not.toBe(hostile)
    await eventually(() => postgres.readLog().includes(`/*request_id='${id}'*/ SELECT 1 AS hostile_check`))
    expect(postgres.readLog()).not.toContain('DROP TABLE x')
  })

  it('escapes hostile ids and job arguments so nothing closes the comment early', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS survivors (id int)')
    await pool.query('INSERT INTO survivors VALUES (1)')
    const hostile = "x'*/ DELETE FROM survivors; -- \n /*"
    const { rows } = await runWithContext({ name: hostile, args: ['*/', "'; DROP"] }, () =>
      pool.query('SELECT count(*)::int AS n FROM survivors'),
    )
    expect(rows[0].n).toBe(1)
    const line = postgres.readLog().split('\n').find((l) => l.includes('FROM survivors') && l.includes('request_id'))!
    const comment = parseComment(line.slice(line.indexOf('/*')))
    expect(comment.job).toBe(hostile)
    expect(comment.args).toBe("*/ '; DROP")
    expect((await pool.query('SELECT count(*)::int AS n FROM survivors')).rows[0].n).toBe(1)
  })

  it('never lets a job name or argument that cannot be URL-encoded make a query throw', async () => {
    const diagnostics: DiagnosticEvent[] = []
    cleanups.push(onDiagnostic((event) => diagnostics.push(event)))
    const ended: Array<{ op: Operation; error: unknown }> = []
    cleanups.push(onOperation({ end: (op, info) => ended.push({ op, error: info.error }) }))
    const client = new pg.Client({ connectionString: postgres.connectionString })
    await client.connect()
    cleanups.push(() => client.end())
    const marker = `m_${randomUUID().slice(0, 8)}`
    // lone surrogates make encodeURIComponent throw a URIError
    const context = { name: 'job\uD800', args: ['a\uDC00b', 'x'.repeat(5000)] }
    const contextIds = await runWithContext(context, async () => {
      const viaClient = await client.query(`SELECT 1 AS ${marker}_client`)
      const viaPool = await pool.query(`SELECT 1 AS ${marker}_pool`)
      expect([viaClient.rows[0][`${marker}_client`], viaPool.rows[0][`${marker}_pool`]]).toEqual([1, 1])
      expect(getContext()?.operations.size).toBe(0)
      return getContext()?.id
    })
    expect(ended.filter((e) => e.op.context?.id === contextIds).map((e) => e.error)).toEqual([undefined, undefined])
    for (const via of ['client', 'pool']) {
      const line = postgres.readLog().split('\n').find((l) => l.includes(`${marker}_${via}`))!
      const commentText = line.slice(line.indexOf('/*'), line.indexOf('*/') + 2)
      const comment = parseComment(`${commentText} `)
      expect(comment.job).toBe('job\uFFFD')
      expect(comment.args!.startsWith('a\uFFFDb xxx')).toBe(true)
      expect(comment.args!.endsWith('\u2026')).toBe(true)
      // the statement is still within pg_stat_activity's first 1024 bytes
      expect(commentText.length).toBeLessThan(400)
    }
    expect(diagnostics.some((event) => event.scope === 'stats.sql-comment' && event.level === 'warn')).toBe(true)
  })

  it('leaves queries that already carry a comment untouched', async () => {
    const marker = randomUUID().slice(0, 8)
    await runWithContext({ id: randomUUID() }, () => pool.query(`/* mine ${marker} */ SELECT 1`))
    await runWithContext({ id: randomUUID() }, () => pool.query(`SELECT 2 -- mine ${marker}`))
    const log = postgres.readLog()
    expect(log).toContain(`statement: /* mine ${marker} */ SELECT 1`)
    expect(log).toContain(`statement: SELECT 2 -- mine ${marker}`)
  })

  it('runs the same named prepared statement in different requests', async () => {
    const name = `stmt_${randomUUID().slice(0, 8)}`
    const client = await pool.connect()
    try {
      for (let i = 0; i < 3; i++) {
        const { rows } = await runWithContext({ id: randomUUID() }, () =>
          client.query({ name, text: 'SELECT $1::int + 1 AS n', values: [i] }),
        )
        expect(rows[0].n).toBe(i + 1)
      }
      const { rows } = await runWithContext({ id: randomUUID() }, () =>
        pool.query({ name, text: 'SELECT $1::int + 1 AS n', values: [10] }),
      )
      expect(rows[0].n).toBe(11)
    } finally {
      client.release()
    }
  })

  it('records each query as a sql operation of the request, ending with its error', async () => {
    const ended: Array<{ op: Operation; error: unknown }> = []
    const stop = onOperation({ end: (op, info) => ended.push({ op, error: info.error }) })
    cleanups.push(stop)
    const id = randomUUID()
    await runWithContext({ id }, async () => {
      await pool.query('SELECT 1')
      await expect(pool.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' })
    })
    const mine = ended.filter((e) => e.op.context?.id === id)
    expect(mine.map((e) => [e.op.kind, e.op.attributes.statement, e.op.description])).toEqual([
      ['sql', 'select', 'SELECT 1'],
      ['sql', 'select', 'SELECT * FROM no_such_table'],
    ])
    expect(mine[0]!.error).toBeUndefined()
    expect(mine[1]!.error).toMatchObject({ code: '42P01' })
  })

  it('does not comment outside any context', async () => {
    const marker = randomUUID().slice(0, 8)
    await pool.query(`SELECT '${marker}'`)
    expect(postgres.readLog()).toContain(`statement: SELECT '${marker}'`)
  })

  it('restores pg when unpatched, and rejects what is not pg', async () => {
    const before = pg.Client.prototype.query
    const again = instrumentPg(pg)
    again()
    expect(pg.Client.prototype.query).toBe(before)
    expect(() => instrumentPg({})).toThrow(StatsError)
    try {
      instrumentPg(null)
    } catch (error) {
      expect((error as StatsError).code).toBe('ERR_INTRO_STATS_NOT_A_DRIVER')
    }
  })
})
