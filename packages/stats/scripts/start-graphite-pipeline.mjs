#!/usr/bin/env node
// Starts a local metrics pipeline on 127.0.0.1: Etsy's statsd daemon (npm `statsd`) flushing
// to Graphite's carbon-cache (Debian `graphite-carbon`), both in one state directory.
//
//   node packages/stats/scripts/start-graphite-pipeline.mjs [--dir DIR] [--statsd-port 8125]
//        [--carbon-port 2003] [--flush-ms 10000]
//
// Prints one JSON line (ports, directories) when both are up and stops both on SIGINT/SIGTERM.
// Read numbers back with: whisper-fetch --from=$(date -d -5min +%s) DIR/storage/whisper/stats/timers/<name>/mean.wsp
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const templates = join(here, '..', 'graphite')

function freeTcpPort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

function freeUdpPort() {
  return new Promise((resolvePort, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address()
      socket.close(() => resolvePort(port))
    })
  })
}

function tcpAnswers(port) {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolveAnswer(true)
    })
    socket.once('error', () => resolveAnswer(false))
  })
}

async function waitFor(what, check, timeoutMs, logPath) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  const log = logPath && existsSync(logPath) ? `\n${readFileSync(logPath, 'utf8').slice(-2000)}` : ''
  throw new Error(`${what} did not start within ${timeoutMs} ms${log}`)
}

function fill(template, values) {
  let text = readFileSync(join(templates, template), 'utf8')
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`@@${key}@@`, String(value))
  return text
}

function which(command) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, command))) return join(dir, command)
  }
  return undefined
}

// Etsy's statsd is an optional peer of @intro/stats: only this script needs it, and it is a
// daemon, not a library an app loads. Resolved from the project that installed @intro/stats.
function statsdDaemon() {
  try {
    return createRequire(import.meta.url).resolve('statsd/stats.js')
  } catch (error) {
    throw new Error('the statsd daemon is not installed: npm install --save-dev statsd', { cause: error })
  }
}

/**
 * Starts carbon-cache and statsd. Resolves to { dir, whisperDir, statsdPort, carbonPort, stop() };
 * `removeOnStop: true` deletes the state directory (whisper files included) on stop().
 * Throws when carbon-cache is not installed (apt-get install graphite-carbon python3-whisper) or the
 * statsd daemon is not (npm install --save-dev statsd).
 */
export async function startGraphitePipeline(options = {}) {
  const carbon = which('carbon-cache')
  if (carbon === undefined) {
    throw new Error('carbon-cache not found: apt-get install graphite-carbon python3-whisper')
  }
  const daemon = statsdDaemon()
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'intro-graphite-')))
  const flushMs = options.flushMs ?? 10_000
  if (flushMs % 1000 !== 0) throw new RangeError(`Expected \`flushMs\` to be whole seconds, got \`${flushMs}\``)
  for (const sub of ['storage/whisper', 'storage/lists', 'log']) mkdirSync(join(dir, sub), { recursive: true })
  const carbonPort = options.carbonPort ?? (await freeTcpPort())
  const values = {
    DIR: dir,
    LINE_PORT: carbonPort,
    PICKLE_PORT: await freeTcpPort(),
    QUERY_PORT: await freeTcpPort(),
    FLUSH_S: flushMs / 1000,
  }
  writeFileSync(join(dir, 'carbon.conf'), fill('carbon.conf.template', values))
  writeFileSync(join(dir, 'storage-schemas.conf'), fill('storage-schemas.conf.template', values))
  writeFileSync(join(dir, 'storage-aggregation.conf'), fill('storage-aggregation.conf', values))

  const children = []
  const stop = async () => {
    await Promise.all(
      children.splice(0).map(
        (child) =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done()
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
            child.once('exit', () => {
              clearTimeout(timer)
              done()
            })
            child.kill('SIGTERM')
          }),
      ),
    )
    if (options.removeOnStop === true) rmSync(dir, { recursive: true, force: true })
  }
  try {
    const carbonLog = join(dir, 'log', 'carbon-console.log')
    const carbonOut = openSync(carbonLog, 'a')
    children.push(
      spawn(carbon, [`--config=${join(dir, 'carbon.conf')}`, `--pidfile=${join(dir, 'carbon.pid')}`, '--nodaemon', 'start'], {
        stdio: ['ignore', carbonOut, carbonOut],
      }),
    )
    await waitFor('carbon-cache', () => tcpAnswers(carbonPort), options.startTimeoutMs ?? 30_000, carbonLog)

    const statsdPort = options.statsdPort ?? (await freeUdpPort())
    const statsdConfig = {
      port: statsdPort,
      address: '127.0.0.1',
      mgmt_port: await freeTcpPort(),
      mgmt_address: '127.0.0.1',
      graphiteHost: '127.0.0.1',
      graphitePort: carbonPort,
      flushInterval: flushMs,
      deleteIdleStats: true,
      backends: ['./backends/graphite'],
    }
    writeFileSync(join(dir, 'statsd-config.json'), JSON.stringify(statsdConfig, null, 2))
    const statsdLog = join(dir, 'log', 'statsd.log')
    const statsdOut = openSync(statsdLog, 'a')
    children.push(
      spawn(process.execPath, ['--require', createRequire(import.meta.url).resolve('./statsd-compat.cjs'), daemon, join(dir, 'statsd-config.json')], {
        cwd: dirname(daemon),
        stdio: ['ignore', statsdOut, statsdOut],
      }),
    )
    await waitFor(
      'statsd',
      () => tcpAnswers(statsdConfig.mgmt_port),
      options.startTimeoutMs ?? 30_000,
      statsdLog,
    )
    return {
      dir,
      whisperDir: join(dir, 'storage', 'whisper'),
      statsdHost: '127.0.0.1',
      statsdPort,
      carbonPort,
      flushMs,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

function argValue(name) {
  const index = process.argv.indexOf(name)
  return index < 0 ? undefined : process.argv[index + 1]
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const number = (name) => (argValue(name) === undefined ? undefined : Number(argValue(name)))
  const pipeline = await startGraphitePipeline({
    dir: argValue('--dir'),
    statsdPort: number('--statsd-port'),
    carbonPort: number('--carbon-port'),
    flushMs: number('--flush-ms'),
  })
  const { stop, ...info } = pipeline
  console.log(JSON.stringify(info))
  const shutdown = () => stop().then(() => process.exit(0))
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
