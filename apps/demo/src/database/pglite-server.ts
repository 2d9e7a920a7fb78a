/**
 * Child process: embedded PostgreSQL (PGlite, WASM) behind the PostgreSQL wire protocol on
 * 127.0.0.1, so the demo app talks to it with the real `pg` client.
 *
 * It runs in its own process because PGlite executes on the thread that owns it: in the app's
 * process a `pg_sleep(3)` would block the app's event loop, and the demo would show a blocked
 * loop where it means to show a request waiting on its database.
 *
 * Every statement is appended to `sqlLogPath` as the server received it — the SQL comments the
 * stats instrumentation adds are visible exactly as a DBA would see them in `log_statement`.
 */
import { appendFileSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { sqlOfMessage } from './protocol.js'

export interface SqlLogEntry {
  /** ISO time the server received the statement. */
  time: string
  /** `simple` for a Query message, `extended` for a Parse message. */
  protocol: 'simple' | 'extended'
  sql: string
}

/** Sent once over IPC when the server listens. */
export interface PgliteReadyMessage {
  type: 'ready'
  host: string
  port: number
}

/** Appends each statement to `path` before PGlite runs it (a `log_statement = 'all'` of our own). */
function logStatements(db: PGlite, path: string): void {
  const execute = db.execProtocolRawStream.bind(db)
  db.execProtocolRawStream = (message, options) => {
    const sql = sqlOfMessage(message)
    if (sql !== undefined) {
      const entry: SqlLogEntry = { time: new Date().toISOString(), protocol: message[0] === 0x51 ? 'simple' : 'extended', sql }
      appendFileSync(path, `${JSON.stringify(entry)}\n`)
    }
    return execute(message, options)
  }
}

async function main(): Promise<void> {
  const sqlLogPath = process.env.DEMO_SQL_LOG
  const db = await PGlite.create()
  if (sqlLogPath !== undefined) logStatements(db, sqlLogPath)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 })
  await server.start()
  const [host = '127.0.0.1', port = '0'] = server.getServerConn().split(':')
  const ready: PgliteReadyMessage = { type: 'ready', host, port: Number(port) }
  process.send?.(ready)
  const stop = (): void => {
    void server
      .stop()
      .then(() => db.close())
      .finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  process.once('disconnect', stop)
}

main().catch((error: unknown) => {
  console.error('pglite server failed:', error)
  process.exit(1)
})
