import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { requireBinary } from './binaries.js'
import { freePort } from './free-port.js'
import { startProcess } from './server-process.js'
import { startServer } from './start-server.js'
import { tcpExchange } from './tcp.js'
import { makeTempDir } from './temp-dir.js'
import type { MysqlServer, StartMysqlOptions } from './types.js'

const execFileAsync = promisify(execFile)
const readyLine = 'ready for connections'

/**
 * Starts a real MySQL-compatible server (MariaDB, Debian package `mariadb-server`,
 * which does not need to be running as a service) in a fresh data directory on a
 * free port of 127.0.0.1, as the current user (`--user=root` when that is root).
 * `root` has no password; the database `test` exists. Every statement the server
 * receives is written to the general log (`generalLogPath`), so tests can check
 * what reached it (SQL comments, for instance). Nothing is durable: the data
 * directory is thrown away at `stop()`.
 *
 * @example
 * const server = await startMysql()
 * const connection = mysql2.createConnection({ host: server.host, port: server.port, user: server.user })
 */
export async function startMysql(options: StartMysqlOptions = {}): Promise<MysqlServer> {
  const mariadbd = requireBinary('mariadbd')
  const installDb = requireBinary('mariadb-install-db')
  const asRoot = process.getuid?.() === 0
  const userArgs = asRoot ? ['--user=root'] : []
  return startServer({
    what: 'mariadbd',
    timeoutMs: options.startTimeoutMs ?? 30_000,
    dir: () => makeTempDir('mysql'),
    async launch(dir) {
      const data = join(dir, 'data')
      // --no-defaults everywhere: a host's /etc/mysql configuration (a system service's
      // socket, port or data directory) must not leak into a throwaway server.
      // A small redo log keeps initialisation to about a second and the directory small.
      await execFileAsync(
        installDb,
        [
          '--no-defaults',
          `--datadir=${data}`,
          '--auth-root-authentication-method=normal',
          '--skip-name-resolve',
          '--innodb-log-file-size=8M',
          ...userArgs,
        ],
        { timeout: 60_000 },
      )
      const port = await freePort()
      const args = [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--tmpdir=${dir}`,
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--general-log=1',
        `--general-log-file=${join(dir, 'general.log')}`,
        '--innodb-log-file-size=8M',
        '--innodb-buffer-pool-size=32M',
        // The server lives for one test file: durability buys nothing.
        '--innodb-flush-log-at-trx-commit=0',
        '--innodb-doublewrite=0',
        ...userArgs,
        ...(options.args ?? []),
      ]
      // Without --log-error the server writes its error log to stderr, i.e. to logPath.
      const server = startProcess({ command: mariadbd, args, dir, logPath: join(dir, 'mariadbd.log') })
      return { server, port }
    },
    async ready(port, server) {
      if (!readFileSync(server.logPath, 'utf8').includes(readyLine)) return false
      // The server greets first: any data means it accepts connections on the port.
      return (await tcpExchange(port, '')) !== undefined
    },
    handle(server, port, dir): MysqlServer {
      const generalLogPath = join(dir, 'general.log')
      return {
        host: '127.0.0.1',
        port,
        user: 'root',
        password: '',
        database: 'test',
        url: `mysql://root@127.0.0.1:${port}/test`,
        logPath: server.logPath,
        generalLogPath,
        readGeneralLog: () => {
          try {
            return readFileSync(generalLogPath, 'utf8')
          } catch {
            return ''
          }
        },
        // SIGTERM is a clean shutdown (connections closed, InnoDB flushed); it takes well
        // under a second for a server this small.
        stop: () => server.stop({ signal: 'SIGTERM', graceMs: 10_000 }),
      }
    },
  })
}
