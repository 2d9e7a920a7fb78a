import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresServer, startPostgres } from '../src/index.js'

describe('startPostgres', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('accepts the trust-auth superuser on 127.0.0.1', async () => {
    expect(server.connectionString).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`)
    const client = new pg.Client({ connectionString: server.connectionString })
    await client.connect()
    try {
      const result = await client.query<{ user: string; superuser: string }>(
        "select current_user as user, current_setting('is_superuser') as superuser",
      )
      expect(result.rows[0]).toEqual({ user: 'postgres', superuser: 'on' })
    } finally {
      await client.end()
    }
  })

  it('logs every statement with its SQL comment to logPath', async () => {
    const marker = `request-${Date.now()}`
    const client = new pg.Client({ connectionString: server.connectionString })
    await client.connect()
    try {
      await client.query(`select 1 /* ${marker} */`)
    } finally {
      await client.end()
    }
    expect(server.readLog()).toContain(`select 1 /* ${marker} */`)
  })

  it('stops right after a pool ends without sending its closing clients an error', async () => {
    const other = await startPostgres()
    const errors: unknown[] = []
    const pool = new pg.Pool({ connectionString: other.connectionString, max: 4 })
    pool.on('connect', (client) => client.on('error', (error) => errors.push(error)))
    await Promise.all([1, 2, 3, 4].map(() => pool.query('select pg_sleep(0.05)')))
    // pool.end() resolves before the server has seen its clients go.
    await pool.end()
    await other.stop()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(errors).toEqual([])
  })

  it('stops the server and removes the cluster, and stop() can be called again', async () => {
    const other = await startPostgres()
    const dir = dirname(other.logPath)
    await other.stop()
    await other.stop()
    expect(existsSync(dir)).toBe(false)
    const client = new pg.Client({ connectionString: other.connectionString, connectionTimeoutMillis: 2000 })
    await expect(client.connect()).rejects.toThrow()
  })
})
