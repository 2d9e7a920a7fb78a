// Core's library integrations (what createDogslow() and createStats() turn on with no wiring):
// their idle cost per call — nothing is slow, so no report is written — on a real PostgreSQL
// query and a real fetch to a node:http server on 127.0.0.1. Arms alternate in one process: an
// arm's first call switches the integrations on or off (once per timed pass of hundreds of calls),
// and every call runs inside a request context, as in an app.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPostgres } from '@intro/test-utils'
import pg from 'pg'
import { loadBuilt, runMicroScenario } from '../lib/index.mjs'

const core = await loadBuilt('@intro/core')

let stop
const setIntegrations = (on) => {
  if (on && stop === undefined) stop = core.enableIntegrations()
  if (!on && stop !== undefined) {
    stop()
    stop = undefined
  }
}
const inRequest = (fn) => core.runWithContext({ name: 'bench' }, fn)
const arm = (name, on, call) => ({
  name,
  fn: () => {
    setIntegrations(on)
    return inRequest(call)
  },
})

const postgres = await startPostgres()
const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 1 })
const server = http.createServer((_req, res) => res.end('ok'))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/`
try {
  await pool.query('SELECT 1')
  const query = () => pool.query('SELECT 1')
  await runMicroScenario({
    name: 'integrations-pg',
    title: "core's integrations: one pg query, idle",
    description:
      'Pool#query("SELECT 1") on a real PostgreSQL over 127.0.0.1, inside a request context, without and with core\'s integrations (the pg patch records an operation: a stack capture and two Set operations).',
    iterations: 300,
    rounds: 10,
    arms: [arm('no integrations', false, query), arm('integrations on (dogslow / stats default)', true, query)],
  })
  // The same patch on a pg-shaped module with no network: the CPU the integration adds per call
  // (mostly the stack capture that lets a report name the app's line), without the round trip's noise.
  class Client {
    query(config) {
      return Promise.resolve(config)
    }
  }
  class Pool {
    query(config) {
      return Promise.resolve(config)
    }
  }
  const fake = new Pool()
  let stopFake
  const fakeArm = (name, on) => ({
    name,
    fn: () => {
      if (on && stopFake === undefined) {
        const unpatch = core.instrumentPg({ Client, Pool })
        const unrecord = core.recordOperations('pg')
        stopFake = () => {
          unrecord()
          unpatch()
        }
      }
      if (!on && stopFake !== undefined) {
        stopFake()
        stopFake = undefined
      }
      return inRequest(() => fake.query('SELECT 1'))
    },
  })
  await runMicroScenario({
    name: 'integrations-pg-cpu',
    title: "core's integrations: the pg patch's own CPU per query",
    description:
      "Pool#query on a pg-shaped module that answers at once (no network), inside a request context, unpatched and with core's pg integration recording operations.",
    iterations: 5000,
    rounds: 10,
    arms: [fakeArm('unpatched', false), fakeArm('pg integration recording', true)],
  })
  stopFake?.()
  const get = async () => (await fetch(url)).text()
  await runMicroScenario({
    name: 'integrations-fetch',
    title: "core's integrations: one fetch, idle",
    description:
      "fetch() of a node:http hello world on 127.0.0.1 (keep-alive), inside a request context, without and with core's integrations (undici's diagnostics channels record an operation).",
    iterations: 300,
    rounds: 10,
    arms: [arm('no integrations', false, get), arm('integrations on (dogslow / stats default)', true, get)],
  })
  // What a static file server does per file: fs.createReadStream read to its end, and
  // fs.promises.readFile, of a 1 KB regular file. Only the fs integration is switched, so the
  // arms differ by its wrapper alone (a context lookup, an operation with its stack capture,
  // a 'close' listener).
  const file = join(tmpdir(), `intro-bench-${process.pid}.txt`)
  fs.writeFileSync(file, 'x'.repeat(1024))
  let stopFs
  const fsArm = (name, on, call) => ({
    name,
    fn: () => {
      if (on && stopFs === undefined) stopFs = core.enableIntegrations({ pg: false, mysql2: false, ioredis: false, fetch: false, http: false, childProcess: false })
      if (!on && stopFs !== undefined) {
        stopFs()
        stopFs = undefined
      }
      return inRequest(call)
    },
  })
  const stream = () =>
    new Promise((resolve, reject) => {
      fs.createReadStream(file).on('data', () => {}).on('error', reject).on('close', resolve)
    })
  try {
    await runMicroScenario({
      name: 'integrations-fs-stream',
      title: "core's integrations: one fs.createReadStream, idle",
      description:
        "fs.createReadStream of a 1 KB regular file read to its end (what a static file server does per file), inside a request context, without and with core's fs integration (an operation: a stack capture formatted only if a report reads it, and a 'close' listener).",
      iterations: 2000,
      rounds: 10,
      arms: [fsArm('fs integration off', false, stream), fsArm('fs integration on (dogslow / stats default)', true, stream)],
    })
    // The wrapper's own CPU, without the thread pool's noise: a stream whose `fs` answers at
    // once (an empty file, no I/O), read to its 'close' (where the operation ends). At the top of
    // a stack and 30 frames deep, as in a framework's middleware chain: the stack capture's cost
    // grows with the depth.
    const noIo = {
      open: (_path, _flags, _mode, done) => process.nextTick(done, null, 99),
      read: (_fd, buffer, _offset, _length, _position, done) => process.nextTick(done, null, 0, buffer),
      close: (_fd, done) => process.nextTick(done, null),
    }
    const streamOnFd = () =>
      new Promise((resolve) => {
        fs.createReadStream(file, { fs: noIo }).once('close', resolve).resume()
      })
    const deep = (depth, fn) => (depth === 0 ? fn() : deep(depth - 1, fn))
    const streamOnFdDeep = () => deep(30, streamOnFd)
    await runMicroScenario({
      name: 'integrations-fs-stream-cpu',
      clock: 'cpu',
      title: "core's integrations: the fs patch's own CPU per createReadStream",
      description:
        "fs.createReadStream with an `fs` option that answers at once (no I/O), read to its 'close', inside a request context, with core's fs integration off and on, at the top of the stack and 30 frames deep; process CPU time per call, not wall time.",
      iterations: 5000,
      rounds: 15,
      arms: [
        fsArm('fs integration off', false, streamOnFd),
        fsArm('fs integration on', true, streamOnFd),
        fsArm('fs integration off, 30 frames deep', false, streamOnFdDeep),
        fsArm('fs integration on, 30 frames deep', true, streamOnFdDeep),
      ],
    })
    const readWhole = () => fsp.readFile(file)
    await runMicroScenario({
      name: 'integrations-fs-readfile',
      title: "core's integrations: one fs.promises.readFile, idle",
      description: "fs.promises.readFile of a 1 KB regular file, inside a request context, without and with core's fs integration.",
      iterations: 2000,
      rounds: 10,
      arms: [fsArm('fs integration off', false, readWhole), fsArm('fs integration on (dogslow / stats default)', true, readWhole)],
    })
  } finally {
    stopFs?.()
    fs.rmSync(file, { force: true })
  }
} finally {
  setIntegrations(false)
  await pool.end()
  server.close()
  await postgres.stop()
}
