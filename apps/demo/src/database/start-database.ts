import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { forkUntilReady } from '../child-process.js'
import type { PgliteReadyMessage } from './pglite-server.js'

/** The database the app connects to. */
export interface Database {
  /** `postgres://` URL for `pg`. */
  readonly url: string
  /** `embedded` (PGlite in a child process) or `external` (`DATABASE_URL`). */
  readonly kind: 'embedded' | 'external'
  /** JSON lines of every statement the server received (embedded only). */
  readonly sqlLogPath: string | undefined
  stop(): Promise<void>
}

export interface DatabaseOptions {
  /** Folder for the server's log and the SQL log. */
  dir: string
  /** A real PostgreSQL to use instead of the embedded one. */
  externalUrl?: string
  /**
   * Log every statement the embedded server receives to `<dir>/sql.log`.
   * @defaultValue true
   */
  logStatements?: boolean
}

const serverModule = fileURLToPath(new URL('./pglite-server.js', import.meta.url))

function isReady(message: unknown): message is PgliteReadyMessage {
  return (message as { type?: unknown } | null)?.type === 'ready'
}

/** Starts embedded PostgreSQL (PGlite in a child process, on the wire protocol) unless `externalUrl` is given. */
export async function startDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.externalUrl !== undefined && options.externalUrl !== '') {
    return { url: options.externalUrl, kind: 'external', sqlLogPath: undefined, stop: async () => {} }
  }
  const sqlLogPath = options.logStatements === false ? undefined : `${options.dir}/sql.log`
  if (sqlLogPath !== undefined) writeFileSync(sqlLogPath, '')
  const child = await forkUntilReady({
    what: 'embedded PostgreSQL (PGlite)',
    modulePath: serverModule,
    env: sqlLogPath === undefined ? {} : { DEMO_SQL_LOG: sqlLogPath },
    logPath: `${options.dir}/pglite.log`,
    timeoutMs: 60_000,
    isReady,
  })
  const { host, port } = child.ready
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    kind: 'embedded',
    sqlLogPath,
    stop: () => child.stop(),
  }
}
