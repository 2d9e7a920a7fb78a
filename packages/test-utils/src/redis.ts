import { join } from 'node:path'
import { requireBinary } from './binaries.js'
import { freePort } from './free-port.js'
import { startProcess } from './server-process.js'
import { startServer } from './start-server.js'
import { tcpExchange } from './tcp.js'
import { makeTempDir } from './temp-dir.js'
import type { RedisServer, StartRedisOptions } from './types.js'

/**
 * Starts a real `redis-server` (Debian package `redis-server`) on a free port of
 * 127.0.0.1, without persistence, and resolves once it answers PING.
 *
 * @example
 * const redis = await startRedis()
 * const client = new Redis(redis.url)
 * // ...
 * await redis.stop()
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = requireBinary('redis-server')
  return startServer({
    what: 'redis-server',
    timeoutMs: options.startTimeoutMs ?? 15_000,
    dir: () => makeTempDir('redis'),
    async launch(dir) {
      const port = await freePort()
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
      args.push('--dir', dir, '--daemonize', 'no', ...(options.args ?? []))
      return { port, server: startProcess({ command: binary, args, dir, logPath: join(dir, 'redis.log') }) }
    },
    ready: async (port) => (await tcpExchange(port, 'PING\r\n'))?.startsWith('+PONG') === true,
    handle(server, port): RedisServer {
      return {
        host: '127.0.0.1',
        port,
        url: `redis://127.0.0.1:${port}`,
        logPath: server.logPath,
        stop: () => server.stop({ signal: 'SIGTERM', graceMs: 5000 }),
      }
    },
  })
}
