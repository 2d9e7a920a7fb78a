import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { type Operation, onOperation, runWithContext } from '@intro/core'
import { type MysqlServer, type StatsdServer, startMysql, startStatsd } from '@intro/test-utils'
import mysql from 'mysql2'
import mysqlPromise from 'mysql2/promise'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { StatsError, StatsErrorCode, createStats, instrumentMysql2 } from '../src/index.js'
import { eventually } from './helpers.js'

let server: MysqlServer
let statsd: StatsdServer
let observer: mysql.Connection
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

function config() {
  return { host: server.host, port: server.port, user: server.user, database: server.database }
}

beforeAll(async () => {
  ;[server, statsd] = await Promise.all([startMysql(), startStatsd({ flushIntervalMs: 100 })])
  observer = mysql.createConnection(config())
  unpatch = instrumentMysql2(mysql, { commentExecute: true })
})
afterAll(async () => {
  unpatch()
  await new Promise((resolve) => (observer ? observer.end(resolve) : resolve(undefined)))
  await Promise.all([server?.stop(), statsd?.stop()])
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * Statements running on other connections whose text contains `marker`. `SHOW` rather than a
 * `SELECT` on information_schema: the observer's own polling then never adds to `sql.select`.
 */
async function waitForRunning(marker: string): Promise<string> {
  const deadline = Date.now() + 5000
  for (;;) {
    const rows = await new Promise<Array<{ Id: number; Info: string | null }>>((resolve, reject) =>
      observer.query('SHOW FULL PROCESSLIST', (error, result) => (error ? reject(error) : resolve(result as never))),
    )
    const row = rows.find((r) => r.Id !== observer.threadId && r.Info?.includes(marker))
    if (row?.Info) return row.Info
    if (Date.now() > deadline) throw new Error(`statement ${marker} never showed up`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Operations started and ended in the context `id`. */
function operationsOf(id: string): { started: Operation[]; ended: Array<{ op: Operation; error: unknown; ms: number }> } {
  const started: Operation[] = []
  const ended: Array<{ op: Operation; error: unknown; ms: number }> = []
  cleanups.push(
    onOperation({
      start: (op) => {
        if (op.context?.id === id) started.push(op)
      },
      end: (op, info) => {
        if (op.context?.id === id) ended.push({ op, error: info.error, ms: info.durationMs })
      },
    }),
  )
  return { started, ended }
}

function stats(prefix: string) {
  const instance = createStats({ host: statsd.host, port: statsd.port, prefix, flushIntervalMs: 20, processIntervalMs: 0 })
  cleanups.push(() => instance.close())
  return instance
}

function callback<T>(run: (done: (error: unknown, rows?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, rows) => (error ? reject(error) : resolve(rows as T))))
}

type Call = (sql: string) => Promise<unknown>

const calls: Array<[string, () => Call]> = [
  [
    'Connection#query',
    () => {
      const connection = mysql.createConnection(config())
      cleanups.push(() => connection.end())
      return (sql) => callback((done) => connection.query(sql, done))
    },
  ],
  [
    'Connection#query without a callback',
    () => {
      const connection = mysql.createConnection(config())
      cleanups.push(() => connection.end())
      return (sql) =>
        new Promise((resolve, reject) => {
          connection.query(sql).on('error', reject).on('end', resolve)
        })
    },
  ],
  [
    'Connection#execute',
    () => {
      const connection = mysql.createConnection(config())
      cleanups.push(() => connection.end())
      return (sql) => callback((done) => connection.execute(sql, [], done))
    },
  ],
  [
    'Pool#query',
    () => {
      const pool = mysql.createPool({ ...config(), connectionLimit: 2 })
      cleanups.push(() => pool.end())
      return (sql) => callback((done) => pool.query(sql, done))
    },
  ],
  [
    'Pool#execute',
    () => {
      const pool = mysql.createPool({ ...config(), connectionLimit: 2 })
      cleanups.push(() => pool.end())
      return (sql) => callback((done) => pool.execute(sql, done))
    },
  ],
  [
    'mysql2/promise Connection#query',
    () => {
      const connection = mysqlPromise.createConnection(config())
      cleanups.push(async () => (await connection).end())
      return async (sql) => (await connection).query(sql)
    },
  ],
  [
    'mysql2/promise Connection#execute',
    () => {
      const connection = mysqlPromise.createConnection(config())
      cleanups.push(async () => (await connection).end())
      return async (sql) => (await connection).execute(sql)
    },
  ],
  [
    'mysql2/promise Pool#query',
    () => {
      const pool = mysqlPromise.createPool({ ...config(), connectionLimit: 2 })
      cleanups.push(() => pool.end())
      return (sql) => pool.query(sql)
    },
  ],
  [
    'mysql2/promise Pool#execute',
    () => {
      const pool = mysqlPromise.createPool({ ...config(), connectionLimit: 2 })
      cleanups.push(() => pool.end())
      return (sql) => pool.execute(sql)
    },
  ],
]

describe('instrumentMysql2', () => {
  it.each(calls)('%s: the server sees the request id while the statement runs, and the call is timed once', async (_name, make) => {
    const call = make()
    const p = `t${randomUUID().slice(0, 8)}`
    stats(p)
    const id = randomUUID()
    const { started, ended } = operationsOf(id)
    const marker = `m_${randomUUID().slice(0, 8)}`
    const sql = `SELECT SLEEP(0.4) AS s, '${marker}' AS marker`
    const running = runWithContext({ id }, () => call(sql))
    const seen = await waitForRunning(marker)
    await running
    expect(seen.startsWith('/*')).toBe(true)
    expect(parseComment(seen)).toEqual({ request_id: id })
    expect(started.map((op) => [op.kind, op.description, op.attributes.statement])).toEqual([['sql', sql, 'select']])
    expect(ended.map((e) => e.op)).toEqual(started)
    await eventually(() => statsd.timerValues(`${p}.sql.select`).length > 0)
    // a second timer of the same call would arrive in the same or the next daemon flush
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(statsd.timerValues(`${p}.sql.select`)).toHaveLength(1)
    expect(statsd.timerValues(`${p}.sql.select`)[0]).toBeGreaterThanOrEqual(350)
  })

  it('writes the comment of execute() to the general log with its Prepare and Execute', async () => {
    const connection = mysql.createConnection(config())
    cleanups.push(() => connection.end())
    const id = randomUUID()
    const marker = `m_${randomUUID().slice(0, 8)}`
    await runWithContext({ id }, () => callback((done) => connection.execute(`SELECT ? AS ${marker}`, [7], done)))
    const log = server.readGeneralLog()
    expect(log).toContain(`Prepare\t/*request_id='${id}'*/ SELECT ? AS ${marker}`)
    expect(log).toContain(`Execute\t/*request_id='${id}'*/ SELECT 7 AS ${marker}`)
  })

  it('comments and tracks a pooled call in its own request when it waited for another request to release the connection', async () => {
    const pool = mysql.createPool({ ...config(), connectionLimit: 1 })
    cleanups.push(() => pool.end())
    const [first, second] = [randomUUID(), randomUUID()]
    const opsFirst = operationsOf(first)
    const opsSecond = operationsOf(second)
    const markers = [`m_${randomUUID().slice(0, 8)}`, `m_${randomUUID().slice(0, 8)}`] as const
    const sqls = markers.map((marker) => `SELECT SLEEP(0.3) AS s, '${marker}' AS marker`)
    const a = runWithContext({ id: first }, () => callback((done) => pool.execute(sqls[0]!, done)))
    const b = runWithContext({ id: second }, () => callback((done) => pool.execute(sqls[1]!, done)))
    expect(parseComment(await waitForRunning(markers[0]))).toEqual({ request_id: first })
    expect(parseComment(await waitForRunning(markers[1]))).toEqual({ request_id: second })
    await Promise.all([a, b])
    expect(opsFirst.ended.map((e) => e.op.description)).toEqual([sqls[0]])
    expect(opsSecond.ended.map((e) => e.op.description)).toEqual([sqls[1]])
    // the second call includes its wait for the connection
    expect(opsSecond.ended[0]!.ms).toBeGreaterThan(500)
  })

  it('ends failed statements with their error, with and without a callback, and counts them', async () => {
    const p = `t${randomUUID().slice(0, 8)}`
    stats(p)
    const connection = mysql.createConnection(config())
    const pool = mysql.createPool({ ...config(), connectionLimit: 1 })
    cleanups.push(
      () => connection.end(),
      () => pool.end(),
    )
    const id = randomUUID()
    const { ended } = operationsOf(id)
    await runWithContext({ id }, async () => {
      await expect(callback((done) => connection.query('SELECT * FROM no_such_table', done))).rejects.toMatchObject({
        code: 'ER_NO_SUCH_TABLE',
      })
      await expect(
        new Promise((resolve, reject) => connection.query('SELECT * FROM no_such_table').on('error', reject).on('end', resolve)),
      ).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' })
      await expect(callback((done) => pool.execute('SELECT * FROM no_such_table', done))).rejects.toMatchObject({
        code: 'ER_NO_SUCH_TABLE',
      })
    })
    expect(ended.map((e) => (e.error as { code?: string } | undefined)?.code)).toEqual([
      'ER_NO_SUCH_TABLE',
      'ER_NO_SUCH_TABLE',
      'ER_NO_SUCH_TABLE',
    ])
    await eventually(() => statsd.counterTotal(`${p}.sql.errors.select`) === 3)
  })

  it('ends the operation of Pool#execute without a callback (mysql2 itself then throws)', async () => {
    // mysql2 3.x calls the missing callback and throws an uncaught TypeError: that needs a process of its own.
    const fixture = fileURLToPath(new URL('./fixtures/mysql2-pool-execute.mjs', import.meta.url))
    const id = randomUUID()
    const sql = `SELECT 1 AS m_${randomUUID().slice(0, 8)}`
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [fixture], {
        env: {
          ...process.env,
          // the built package, as an app loads it (the test task builds first)
          STATS_ENTRY: new URL('../dist/index.js', import.meta.url).href,
          MYSQL_PORT: String(server.port),
          REQUEST_ID: id,
          SQL: sql,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk) => {
        stdout += chunk
      })
      child.stderr.on('data', (chunk) => {
        stderr += chunk
      })
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`child did not finish; stderr: ${stderr}`))
      }, 20_000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        if (code === 0) resolve(stdout)
        else reject(new Error(`child exited with ${code}; stderr: ${stderr}`))
      })
    })
    expect(JSON.parse(output)).toEqual({ started: 1, ended: 1, uncaught: 'TypeError' })
    expect(server.readGeneralLog()).toContain(`Execute\t/*request_id='${id}'*/ ${sql}`)
  })

  it('comments execute() only with commentExecute, and query() not with comment: false', async () => {
    unpatch()
    cleanups.push(() => {
      unpatch()
      unpatch = instrumentMysql2(mysql, { commentExecute: true })
    })
    unpatch = instrumentMysql2(mysql)
    const connection = mysql.createConnection(config())
    cleanups.push(() => connection.end())
    const id = randomUUID()
    const { ended } = operationsOf(id)
    const marker = `m_${randomUUID().slice(0, 8)}`
    await runWithContext({ id }, async () => {
      await callback((done) => connection.execute(`SELECT 1 AS ${marker}_e`, [], done))
      await callback((done) => connection.query(`SELECT 1 AS ${marker}_q`, done))
    })
    unpatch()
    unpatch = instrumentMysql2(mysql, { comment: false, commentExecute: true })
    await runWithContext({ id }, async () => {
      await callback((done) => connection.query(`SELECT 1 AS ${marker}_n`, done))
    })
    const log = server.readGeneralLog()
    expect(log).toContain(`Prepare\tSELECT 1 AS ${marker}_e`)
    expect(log).toContain(`Query\t/*request_id='${id}'*/ SELECT 1 AS ${marker}_q`)
    expect(log).toContain(`Query\tSELECT 1 AS ${marker}_n`)
    expect(ended).toHaveLength(3)
  })

  it('leaves statements outside any context and statements with their own comment unchanged', async () => {
    const connection = mysql.createConnection(config())
    cleanups.push(() => connection.end())
    const marker = `m_${randomUUID().slice(0, 8)}`
    await callback((done) => connection.query(`SELECT 1 AS ${marker}_a`, done))
    await runWithContext({ id: randomUUID() }, () => callback((done) => connection.query(`/* mine */ SELECT 1 AS ${marker}_b`, done)))
    const log = server.readGeneralLog()
    expect(log).toContain(`Query\tSELECT 1 AS ${marker}_a`)
    expect(log).toContain(`Query\t/* mine */ SELECT 1 AS ${marker}_b`)
  })

  it('patches once, restores mysql2 when unpatched, and rejects what is not mysql2', () => {
    const patched = mysql.Connection.prototype.query
    const again = instrumentMysql2(mysql)
    expect(mysql.Connection.prototype.query).toBe(patched)
    again()
    expect(mysql.Connection.prototype.query).toBe(patched)
    unpatch()
    expect(mysql.Connection.prototype.query).not.toBe(patched)
    unpatch = instrumentMysql2(mysql, { commentExecute: true })
    for (const notMysql2 of [{}, null, mysqlPromise]) {
      let thrown: unknown
      try {
        instrumentMysql2(notMysql2)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(StatsError)
      expect((thrown as StatsError).code).toBe(StatsErrorCode.notADriver)
    }
  })
})
