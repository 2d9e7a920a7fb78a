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
