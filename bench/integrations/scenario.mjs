// Core's library integrations (what createDogslow() and createStats() turn on with no wiring):
// their idle cost per call — nothing is slow, so no report is written — on a real PostgreSQL
// query and a real fetch to a node:http server on 127.0.0.1. Arms alternate in one process: an
// arm's first call switches the integrations on or off (once per timed pass of hundreds of calls),
// and every call runs inside a request context, as in an app.
import http from 'node:http'
import { startPostgres } from '@intro/test-utils'
import pg from 'pg'
import { runMicroScenario } from '../lib/index.mjs'

async function load(name) {
  try {
    return await import(name)
  } catch (error) {
    throw new Error(`${name} does not load (${error.message}): run \`pnpm turbo run build\` first`)
  }
}

const core = await load('@intro/core')

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
} finally {
  setIntegrations(false)
  await pool.end()
  server.close()
  await postgres.stop()
}
