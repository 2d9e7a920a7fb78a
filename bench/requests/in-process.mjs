// The same per-request work measured in one process, without HTTP: request and response objects
// made as Node's parser makes them (on an unconnected socket), handed to the adapter, then the
// response's 'close' that settles the request. Nothing shares the cores with a load generator
// here, so these figures are steadier than the HTTP arms on a loaded machine.
import { AsyncLocalStorage } from 'node:async_hooks'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { runMicroScenario } from '../lib/index.mjs'

const socket = new Socket()

function serve(listener) {
  const req = new IncomingMessage(socket)
  req.method = 'GET'
  req.url = '/'
  req.rawHeaders = ['Host', '127.0.0.1:8080', 'User-Agent', 'bench']
  const res = new ServerResponse(req)
  listener(req, res)
  // A response that completed: 'close' then settles it as finished (writableFinished).
  res.finished = true
  res.emit('close')
}

// Every 64th request yields to the event loop, as a server does between requests, so the
// aggregated metrics' timers and sends run as they would.
function yieldEvery(fn) {
  let calls = 0
  return () => {
    fn()
    if (++calls % 64 === 0) return new Promise((resolve) => setImmediate(resolve))
  }
}

/** @param {{ name: string, statsdPort: number }} options */
export async function runInProcess({ name, statsdPort }) {
  const { wrapHandler } = await import('@intro/core')
  const { createStats } = await import('@intro/stats')
  const stats = createStats({ host: '127.0.0.1', port: statsdPort, requests: false, processIntervalMs: 0 })
  const storage = new AsyncLocalStorage()
  const noop = () => {}
  const core = wrapHandler(noop)
  const withStats = wrapHandler(noop, { hooks: stats.hooks })
  try {
    return await runMicroScenario({
      name,
      title: `Per-request cost in one process (no HTTP), Node ${process.version}`,
      description:
        'ns per request for the adapter\'s work alone: a request and a response made as Node\'s HTTP parser makes them ' +
        '(the baseline), handed to a no-op handler inside `AsyncLocalStorage#run`, through core\'s `wrapHandler`, and ' +
        'through `wrapHandler` with `@intro/stats` request hooks (timer and status counter aggregated, sent to a UDP ' +
        'socket every flush interval); then the response\'s \'close\'. Every 64th request yields to the event loop.',
      arms: [
        { name: 'request objects only', fn: yieldEvery(() => serve(noop)) },
        { name: 'AsyncLocalStorage#run', fn: yieldEvery(() => serve((req, res) => storage.run({}, noop, req, res))) },
        { name: 'core wrapHandler', fn: yieldEvery(() => serve(core)) },
        { name: 'wrapHandler + stats hooks', fn: yieldEvery(() => serve(withStats)) },
      ],
      iterations: 50_000,
      rounds: 7,
    })
  } finally {
    await stats.close()
  }
}
