import { execFile } from 'node:child_process'
import { chownSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { requireBinary } from './binaries.js'
import { TestUtilsError, TestUtilsErrorCode } from './errors.js'
import { freePort } from './free-port.js'
import { startProcess } from './server-process.js'
import { startServer } from './start-server.js'
import { tcpExchange } from './tcp.js'
import { makeTempDir } from './temp-dir.js'
import type { PostgresServer, StartPostgresOptions } from './types.js'

const execFileAsync = promisify(execFile)
const readyLine = 'database system is ready to accept connections'

/**
 * Starts a real PostgreSQL server (Debian package `postgresql`) in a fresh
 * cluster on a free port of 127.0.0.1, with a trust-auth superuser `postgres`.
 * Every statement is logged (`log_statement=all`) to `logPath`, so tests can
 * check what reached the server (SQL comments, for instance). Durability is
 * switched off: the cluster is thrown away at `stop()`.
 *
 * PostgreSQL refuses to run as root; as root, initdb and the server run as the
 * `postgres` user that the Debian package creates.
 *
 * @example
 * const pg = await startPostgres()
 * const client = new pg.Client({ connectionString: server.connectionString })
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const postgres = requireBinary('postgres')
  const initdb = join(dirname(postgres), 'initdb')
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  const env = { ...process.env, LANG: 'C', LC_ALL: 'C' }
  return startServer({
    what: 'postgres',
    timeoutMs: options.startTimeoutMs ?? 30_000,
    dir: () => {
      const dir = makeTempDir('postgres')
      if (owner) chownSync(dir, owner.uid, owner.gid)
      return dir
    },
    async launch(dir) {
      const data = join(dir, 'data')
      // --no-sync and fsync=off: the cluster lives for one test file, so durability buys nothing
      // and initdb drops from seconds to ~0.5 s.
      await execFileAsync(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], {
        env,
        timeout: 60_000,
        ...owner,
      })
      const port = await freePort()
      const settings: Record<string, string> = {
        listen_addresses: '127.0.0.1',
        unix_socket_directories: dir,
        logging_collector: 'off',
        log_statement: 'all',
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        ...options.settings,
      }
      const args = ['-D', data, '-p', String(port)]
      for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`)
      // SIGQUIT at test-process exit: immediate shutdown takes the backends down with the postmaster.
      const server = startProcess({ command: postgres, args, env, dir, logPath: join(dir, 'postgres.log'), exitSignal: 'SIGQUIT', ...owner })
      return { server, port }
    },
    async ready(port, server) {
      if (!readFileSync(server.logPath, 'utf8').includes(readyLine)) return false
      return (await tcpExchange(port)) !== undefined
    },
    handle(server, port): PostgresServer {
      return {
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'postgres',
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
        logPath: server.logPath,
        readLog: () => readFileSync(server.logPath, 'utf8'),
        // Smart shutdown (SIGTERM) first: a client that has just called end() still has its
        // session open for a moment, and fast shutdown (SIGINT) would send it a FATAL 57P01
        // that pg emits as an unhandled 'error'. Clients still connected after 2 s get the
        // immediate shutdown (SIGQUIT), whose goodbye pg only reports as a notice.
        stop: () => server.stop({ signal: 'SIGTERM', graceMs: 2000 }, { signal: 'SIGQUIT', graceMs: 5000 }),
      }
    },
  })
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (uid === undefined || gid === undefined) {
    throw new TestUtilsError('user postgres does not exist: apt-get install -y postgresql (.ci/run installs it)', {
      code: TestUtilsErrorCode.missingBinary,
    })
  }
  return { uid: Number(uid), gid: Number(gid) }
}
