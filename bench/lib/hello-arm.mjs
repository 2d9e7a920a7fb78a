// One hello-world `node:http` server per process, for the per-request cost scenarios (core,
// dogslow, stats): `node hello-arm.mjs <arm>`, where <arm> is
//   bare        the handler alone
//   als         the handler inside AsyncLocalStorage#run: the floor every context-carrying
//               tool pays on this Node version (async hooks enabled process-wide)
//   core        core's wrapHandler (context, correlation id, X-Request-ID header, lifecycle)
//   core-hook   core's wrapHandler plus a global onRequestLifecycle onFinish hook
//   dogslow     createDogslow().wrap(): watchdog thread, timer tracing, 25 s timer (idle)
//   stats       wrapHandler with @intro/stats request metrics to UDP (STATSD_PORT)
//   dogslow-stats  dogslow's wrap() plus createStats() recording every request (its default)
//   otel        OpenTelemetry's http instrumentation (started with --import ../fullstack/otel-register.mjs)
import { AsyncLocalStorage } from 'node:async_hooks'
import { createServer } from 'node:http'
import { serveArm } from './forked-arm.mjs'

function hello(_req, res) {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('hello world')
}

async function listenerFor(arm) {
  switch (arm) {
    case 'bare':
    case 'otel':
      return { listener: hello }
    case 'als': {
      const storage = new AsyncLocalStorage()
      return { listener: (req, res) => storage.run({}, hello, req, res) }
    }
    case 'core': {
      const { wrapHandler } = await import('@intro/core')
      return { listener: wrapHandler(hello) }
    }
    case 'core-hook': {
      const { onRequestLifecycle, wrapHandler } = await import('@intro/core')
      let finished = 0
      onRequestLifecycle({ onFinish: () => void finished++ })
      return { listener: wrapHandler(hello) }
    }
    case 'dogslow': {
      const { createDogslow } = await import('@intro/dogslow')
      const dog = createDogslow({ env: {}, outputDir: process.env.BENCH_OUT_DIR })
      return { listener: dog.wrap(hello), close: () => dog.close() }
    }
    case 'stats': {
      const { wrapHandler } = await import('@intro/core')
      const { createStats } = await import('@intro/stats')
      // requests: false + the adapter's hooks, as the stats scenario measures it.
      const stats = createStats({ host: '127.0.0.1', port: Number(process.env.STATSD_PORT), requests: false, processIntervalMs: 10_000 })
      return { listener: wrapHandler(hello, { hooks: stats.hooks }), close: () => stats.close() }
    }
    case 'dogslow-stats': {
      const { createDogslow } = await import('@intro/dogslow')
      const { createStats } = await import('@intro/stats')
      const dog = createDogslow({ env: {}, outputDir: process.env.BENCH_OUT_DIR })
      const stats = createStats({ host: '127.0.0.1', port: Number(process.env.STATSD_PORT), processIntervalMs: 10_000 })
      return { listener: dog.wrap(hello), close: () => Promise.all([dog.close(), stats.close()]) }
    }
    default:
      throw new TypeError(`Expected a hello-world arm name, got \`${arm}\``)
  }
}

const { listener, close } = await listenerFor(process.argv[2])
const server = createServer(listener)
server.listen(0, '127.0.0.1', () => {
  serveArm({
    port: server.address().port,
    close: async () => {
      await new Promise((done) => server.close(done))
      await close?.()
      await globalThis.__benchOtelShutdown?.()
    },
  })
})
