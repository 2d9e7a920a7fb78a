import { createSocket } from 'node:dgram'
import { appendFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { type Child, forkUntilReady } from '../child-process.js'
import { freeTcpPort, freeUdpPort } from '../free-port.js'

/** Where the app sends its metrics, and what became of them. */
export interface StatsdSink {
  readonly host: string
  readonly port: number
  /**
   * `daemon`: Etsy's statsd runs and `flushLogPath` holds its flushes in Graphite's plaintext
   * format. `capture`: the daemon could not start, and `flushLogPath` holds the raw StatsD
   * datagrams the app sent (what a daemon would have received).
   */
  readonly mode: 'daemon' | 'capture'
  readonly flushLogPath: string
  /** Why the daemon could not start (`capture` mode). */
  readonly failure?: string
  stop(): Promise<void>
}

export interface StatsdOptions {
  /** Folder for config, daemon log and flush log. */
  dir: string
  flushIntervalMs: number
}

const backendPath = fileURLToPath(new URL('./file-backend.cjs', import.meta.url))
// statsd 0.9 on Node ≥ 23 needs util.log back (see @intro/stats/statsd-compat).
const compatPath = createRequire(import.meta.url).resolve('@intro/stats/statsd-compat')

/**
 * Starts Etsy's `statsd` daemon on a free UDP port of 127.0.0.1 with a backend that appends
 * each flush to a file. When it cannot start, listens on a UDP port itself and records the raw
 * datagrams instead, so the demo can still show what would be sent.
 */
export async function startStatsdSink(options: StatsdOptions): Promise<StatsdSink> {
  const flushLogPath = `${options.dir}/flushes.log`
  try {
    return await startDaemon(options, flushLogPath)
  } catch (error) {
    const failure = error instanceof Error ? error.message : String(error)
    return startCapture(`${options.dir}/datagrams.log`, failure)
  }
}

async function startDaemon(options: StatsdOptions, flushLogPath: string): Promise<StatsdSink> {
  const daemon = createRequire(import.meta.url).resolve('statsd/stats.js')
  const port = await freeUdpPort()
  const configPath = `${options.dir}/config.json`
  writeFileSync(
    configPath,
    JSON.stringify({
      port,
      address: '127.0.0.1',
      mgmt_port: await freeTcpPort(),
      mgmt_address: '127.0.0.1',
      flushInterval: options.flushIntervalMs,
      // Without it statsd repeats every metric it ever saw, as zero, in every flush.
      deleteIdleStats: true,
      automaticConfigReload: false,
      backends: [backendPath],
      demoFlushLog: flushLogPath,
    }),
  )
  writeFileSync(flushLogPath, '')
  // The daemon binds its UDP socket after loading the backends: probe until the backend sees a packet.
  const probe = setInterval(() => sendEmptyDatagram(port), 100)
  let child: Child<{ type: 'ready' }>
  try {
    child = await forkUntilReady({
      what: 'statsd daemon',
      modulePath: daemon,
      args: [configPath],
      execArgv: ['--require', compatPath],
      logPath: `${options.dir}/statsd.log`,
      timeoutMs: 10_000,
      isReady: (message): message is { type: 'ready' } => (message as { type?: unknown })?.type === 'ready',
    })
  } finally {
    clearInterval(probe)
  }
  return { host: '127.0.0.1', port, mode: 'daemon', flushLogPath, stop: () => child.stop() }
}

/** statsd counts an empty datagram as a packet but records no metric: a probe that leaves no trace. */
function sendEmptyDatagram(port: number): void {
  const socket = createSocket('udp4')
  socket.send(Buffer.alloc(0), port, '127.0.0.1', () => socket.close())
}

function startCapture(path: string, failure: string): Promise<StatsdSink> {
  writeFileSync(path, '')
  const socket = createSocket('udp4')
  socket.on('message', (datagram) => {
    if (datagram.length > 0) appendFileSync(path, `${datagram.toString('utf8').trimEnd()}\n`)
  })
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      resolve({
        host: '127.0.0.1',
        port: socket.address().port,
        mode: 'capture',
        flushLogPath: path,
        failure,
        stop: () => new Promise((done) => socket.close(() => done())),
      })
    })
  })
}
