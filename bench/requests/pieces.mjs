import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
const { wrapHandler } = await import('@intro/core')
const socket = new Socket()
function serve(listener) {
  const req = new IncomingMessage(socket)
  req.method = 'GET'; req.url = '/'; req.rawHeaders = ['Host', '127.0.0.1:8080', 'User-Agent', 'bench']
  const res = new ServerResponse(req)
  listener(req, res)
  res.finished = true
  res.emit('close')
}
const storage = new AsyncLocalStorage()
const noop = () => {}
const S1 = Symbol('a'), S2 = Symbol('b')
const set = new Set()
function ownEmit(...a) { return this[S2].apply(this, a) }
const arms = {
  bare: (req, res) => noop(req, res),
  als: (req, res) => storage.run({}, noop, req, res),
  uuid: (req, res) => { randomUUID(); storage.run({}, noop, req, res) },
  header: (req, res) => { res.setHeader('x-request-id', 'abcdefabcdef'); storage.run({}, noop, req, res) },
  tagEmit: (req, res) => { req[S1] = 1; req[S2] = req.emit; req.emit = ownEmit; res[S1] = 1; res[S2] = res.emit; res.emit = ownEmit; storage.run({}, noop, req, res) },
  setAddDel: (req, res) => { const c = {}; set.add(c); storage.run(c, noop, req, res); set.delete(c) },
  times: (req, res) => { const c = { a: Date.now(), b: performance.now(), t: {} }; storage.run(c, noop, req, res) },
  core: wrapHandler(noop),
}
const N = 40000
const results = Object.fromEntries(Object.keys(arms).map((k) => [k, []]))
for (let round = 0; round < 9; round++) {
  for (const [name, fn] of Object.entries(arms)) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < N; i++) { serve(fn); if (i % 64 === 0) await new Promise((r) => setImmediate(r)) }
    results[name].push(Number(process.hrtime.bigint() - t) / N)
  }
}
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1]
const base = med(results.bare)
for (const [k, v] of Object.entries(results)) console.log(k.padEnd(10), med(v).toFixed(0), '+' + (med(v) - base).toFixed(0))
