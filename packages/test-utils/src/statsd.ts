import { createSocket } from 'node:dgram'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './free-port.js'
import { type ServerProcess, startProcess } from './server-process.js'
import { startServer } from './start-server.js'
import { statsdBackendSource } from './statsd-backend.js'
import { makeTempDir } from './temp-dir.js'
import type { StartStatsdOptions, StatsdServer, StatsdSnapshot } from './types.js'
import { pollUntil } from './wait.js'

interface BackendMessage {
  type: 'ready' | 'flush'
  snapshot?: StatsdSnapshot
}

/**
 * Starts Etsy's real `statsd` daemon (npm `statsd`) listening for UDP on a free
 * port of 127.0.0.1, flushing every `flushIntervalMs` to a backend that hands
 * each flush back to the test as a {@link StatsdSnapshot}.
 *
 * @example
 * const statsd = await startStatsd()
 * // send metrics to statsd.host:statsd.port, then
 * const snapshot = await statsd.waitFor((s) => s.counters['requests'] === 1)
 */
// statsd 0.9 on Node ≥ 23 needs util.log back: the preload @intro/stats ships for its users.
const statsdCompat = fileURLToPath(new URL('../../stats/scripts/statsd-compat.cjs', import.meta.url))

export async function startStatsd(options: StartStatsdOptions = {}): Promise<StatsdServer> {
  const daemon = createRequire(import.meta.url).resolve('statsd/stats.js')
  const snapshots: StatsdSnapshot[] = []
  const answering = new WeakSet<ServerProcess>()
  return startServer({
    what: 'statsd',
    timeoutMs: options.startTimeoutMs ?? 15_000,
    dir: () => makeTempDir('statsd'),
    async launch(dir) {
      const port = await freePort({ protocol: 'udp' })
      const backend = join(dir, 'backend.cjs')
      writeFileSync(backend, statsdBackendSource)
      const config = {
        port,
        address: '127.0.0.1',
        mgmt_port: await freePort(),
        mgmt_address: '127.0.0.1',
        flushInterval: options.flushIntervalMs ?? 200,
        // Without this statsd reports every metric it ever saw, as zero, in every flush.
        deleteIdleStats: options.deleteIdleStats ?? true,
        automaticConfigReload: false,
        backends: [backend],
      }
      const configPath = join(dir, 'config.json')
      writeFileSync(configPath, JSON.stringify(config))
      const server = startProcess({ command: daemon, args: [configPath], dir, logPath: join(dir, 'statsd.log'), nodeModule: true, execArgv: ['--require', statsdCompat] })
      server.child.on('message', (message: BackendMessage) => {
        if (message.type === 'ready') answering.add(server)
        else if (message.type === 'flush' && message.snapshot) snapshots.push(message.snapshot)
      })
      return { server, port }
    },
    ready: async (port, server) => {
      await sendEmptyDatagram(port)
      return answering.has(server)
    },
    handle(server, port): StatsdServer {
      return {
        host: '127.0.0.1',
        port,
        logPath: server.logPath,
        flushed: () => [...snapshots],
        waitFor: (predicate, timeoutMs = 5000) =>
          pollUntil({
            what: 'statsd flush matching the predicate',
            timeoutMs,
            intervalMs: 20,
            check: () => snapshots.find(predicate),
          }),
        counterTotal: (name) => snapshots.reduce((sum, snapshot) => sum + (snapshot.counters[name] ?? 0), 0),
        timerValues: (name) => snapshots.flatMap((snapshot) => snapshot.timers[name] ?? []),
        stop: () => server.stop({ signal: 'SIGTERM', graceMs: 5000 }),
      }
    },
  })
}

/** statsd counts an empty datagram as a packet but records no metric: a probe that leaves no trace in the flushes. */
function sendEmptyDatagram(port: number): Promise<void> {
  const socket = createSocket('udp4')
  return new Promise((resolve) => {
    socket.send(Buffer.alloc(0), port, '127.0.0.1', () => socket.close(() => resolve()))
  })
}
