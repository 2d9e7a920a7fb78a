import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import { fileURLToPath } from 'node:url'
import { type DiagnosticEvent, expressMiddleware, onDiagnostic, startOperation, wrapHandler } from '@intro/core'
import { type StatsdServer, startStatsd } from '@intro/test-utils'
import express from 'express'
import express4 from 'express4'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DOGSLOW_REPORT_CHANNEL, type Stats, createStats, resolveStatsOptions } from '../src/index.js'
import { eventually, listen, udpReceiver } from './helpers.js'

let statsd: StatsdServer
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  statsd = await startStatsd({ flushIntervalMs: 100 })
})
afterAll(async () => {
  await statsd?.stop()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function prefix(): string {
  return `t${randomUUID().slice(0, 8)}`
}

function stats(options: Parameters<typeof createStats>[0] = {}): Stats {
  const instance = createStats({ host: statsd.host, port: statsd.port, flushIntervalMs: 20, processIntervalMs: 0, ...options })
  cleanups.push(() => instance.close())
  return instance
}

function timerKeys(): string[] {
  return statsd.flushed().flatMap((snapshot) => Object.keys(snapshot.timers))
}

describe('createStats request metrics', () => {
  it('times requests by route template, method and status class, and counts status codes', async () => {
    const p = prefix()
    stats({ prefix: p })
    const app = express()
    app.use(expressMiddleware())
    app.get('/users/:id', (_req, res) => {
      res.send('ok')
    })
    const server = await listen(app)
    cleanups.push(() => server.close())
    for (const id of ['1', '2', '3']) expect((await fetch(`${server.url}/users/${id}`)).status).toBe(200)
    expect((await fetch(`${server.url}/nowhere/${randomUUID()}`)).status).toBe(404)

    await eventually(() => statsd.timerValues(`${p}.http.request.users_id.GET.2xx`).length === 3)
    await eventually(() => statsd.timerValues(`${p}.http.request.unmatched.GET.4xx`).length === 1)
    await eventually(() => statsd.counterTotal(`${p}.http.response.200`) === 3)
    expect(statsd.counterTotal(`${p}.http.response.404`)).toBe(1)
    // never the raw path: no key mentions an id of the URL
    expect(timerKeys().filter((key) => key.startsWith(p) && /users_[0-9]/.test(key))).toEqual([])
  })

  it.each([
    { name: 'express 5', lib: express },
    { name: 'express 4', lib: express4 as unknown as typeof express },
  ])('keeps one timer key for every tenant of a router mounted at /t/:tenant on $name', async ({ lib }) => {
    const p = prefix()
    stats({ prefix: p })
    const app = lib()
    app.use(expressMiddleware())
    const router = lib.Router()
    router.get('/items/:id', (_req, res) => {
      res.send('ok')
    })
    app.use('/t/:tenant', router)
    const server = await listen(app)
    cleanups.push(() => server.close())
    const tenants = Array.from({ length: 30 }, (_, i) => `tenant${i}`)
    for (const tenant of tenants) expect((await fetch(`${server.url}/t/${tenant}/items/${tenant}`)).status).toBe(200)
    await eventually(() => statsd.timerValues(`${p}.http.request.t_tenant_items_id.GET.2xx`).length === tenants.length)
    expect(new Set(timerKeys().filter((key) => key.startsWith(`${p}.http.request.`)))).toEqual(new Set([`${p}.http.request.t_tenant_items_id.GET.2xx`]))
  })

  it('reports requests in flight and process gauges on the interval', async () => {
    const p = prefix()
    stats({ prefix: p, processIntervalMs: 50 })
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const server = await listen(
      wrapHandler(async (_req, res) => {
        await held
        res.end('done')
      }),
    )
    cleanups.push(() => server.close())
    const pending = [fetch(server.url), fetch(server.url)]
    await statsd.waitFor((snapshot) => snapshot.gauges[`${p}.http.in_flight`] === 2)
    release()
    await Promise.all(pending)
    await statsd.waitFor((snapshot) => snapshot.gauges[`${p}.http.in_flight`] === 0)
    const last = await statsd.waitFor(
      (snapshot) =>
        snapshot.gauges[`${p}.process.memory.rss`] !== undefined &&
        snapshot.gauges[`${p}.process.event_loop.delay_p99`] !== undefined,
    )
    expect(last.gauges[`${p}.process.memory.rss`]).toBeGreaterThan(10_000_000)
    expect(last.gauges[`${p}.process.memory.heap_used`]).toBeGreaterThan(0)
    expect(last.gauges[`${p}.process.gc.pause`]).toBeGreaterThanOrEqual(0)
  })

  it('reports ~0 event-loop delay for an idle loop and the length of a block for a blocked one', async () => {
    const p = prefix()
    // Slower than the daemon's 200 ms flush: StatsD keeps the last gauge of a flush, and a
    // second sample in the same flush would overwrite the blocked one's maximum.
    stats({ prefix: p, processIntervalMs: 450 })
    const mean = `${p}.process.event_loop.delay_mean`
    // The monitor's own 20 ms sampling period is not delay: an idle loop reads well under it.
    await statsd.waitFor((snapshot) => snapshot.gauges[mean] !== undefined && snapshot.gauges[mean] < 5)
    const blockedUntil = Date.now() + 300
    while (Date.now() < blockedUntil) {
      // holds the loop, as a synchronous handler would
    }
    const max = `${p}.process.event_loop.delay_max`
    const blocked = await statsd.waitFor((snapshot) => (snapshot.gauges[max] ?? 0) >= 250)
    expect(blocked.gauges[max]).toBeLessThan(2000)
  })

  it('warns once when no request reaches an adapter in time, and stays quiet once one does', async () => {
    const events: DiagnosticEvent[] = []
    cleanups.push(onDiagnostic((event) => event.scope === 'stats.requests' && events.push(event)))
    stats({ requestsWarningMs: 150 })
    await eventually(() => events.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(events).toHaveLength(1)
    expect(events[0]?.level).toBe('warn')
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()

    cleanups.push(onDiagnostic((event) => event.scope === 'stats.requests' && events.push(event)))
    stats({ requestsWarningMs: 300 })
    const server = await listen(wrapHandler((_req, res) => res.end('ok')))
    cleanups.push(() => server.close())
    await (await fetch(server.url)).text()
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(events).toHaveLength(1)
  })

  it('counts exceptions reported by the app and dogslow reports from its channel', async () => {
    const p = prefix()
    const instance = stats({ prefix: p })
    instance.recordException(new Error('boom'))
    diagnosticsChannel.channel(DOGSLOW_REPORT_CHANNEL).publish({ id: 'x' })
    await eventually(() => statsd.counterTotal(`${p}.exceptions`) === 1)
    await eventually(() => statsd.counterTotal(`${p}.dogslow.reports`) === 1)
  })

  it('only records the adapter it is given when requests is false', async () => {
    const p = prefix()
    const instance = stats({ prefix: p, requests: false })
    const counted = await listen(wrapHandler((_req, res) => res.end('a'), { hooks: instance.hooks }))
    const uncounted = await listen(wrapHandler((_req, res) => res.end('b')))
    cleanups.push(() => counted.close(), () => uncounted.close())
    await fetch(counted.url)
    await fetch(uncounted.url)
    await eventually(() => statsd.counterTotal(`${p}.http.response.200`) >= 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(statsd.counterTotal(`${p}.http.response.200`)).toBe(1)
  })

  it('serves every request unchanged when StatsD is down', async () => {
    const instance = createStats({ host: '127.0.0.1', port: 9, processIntervalMs: 0 })
    cleanups.push(() => instance.close())
    const app = express()
    app.use(expressMiddleware())
    app.get('/ok', (_req, res) => {
      res.send('fine')
    })
    const server = await listen(app)
    cleanups.push(() => server.close())
    for (let i = 0; i < 20; i++) expect(await (await fetch(`${server.url}/ok`)).text()).toBe('fine')
  })
})

/** Runs test/fixtures/stats-exit.mjs on the built package; resolves once it has exited. */
function runChild(
  env: Record<string, string>,
  onStdout: (line: string) => void = () => {},
): Promise<{ code: number | null; stderr: string }> {
  const fixture = fileURLToPath(new URL('./fixtures/stats-exit.mjs', import.meta.url))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], {
      env: {
        ...process.env,
        // the built package, as an app loads it (the test task builds first)
        STATS_ENTRY: new URL('../dist/index.js', import.meta.url).href,
        STATSD_PORT: String(statsd.port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) onStdout(line)
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit; stderr: ${stderr}`))
    }, 15_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

describe('createStats in a process that ends', () => {
  it.each(['127.0.0.1', 'localhost'])(
    'counts an exception thrown in a request handler that kills the process (StatsD at %s)',
    async (host) => {
      const p = prefix()
      const exited = runChild({ MODE: 'uncaught', STATSD_HOST: host, PREFIX: p }, (line) => {
        // the request fails: the process dies under it
        fetch(`http://127.0.0.1:${line}/`).catch(() => {})
      })
      const { code, stderr } = await exited
      expect(code).toBe(1)
      expect(stderr).toContain('boom')
      await eventually(() => statsd.counterTotal(`${p}.exceptions`) === 1, 3000)
    },
  )

  it.each([
    ['beforeExit', 0],
    ['exit', 3],
  ] as const)('sends the buffered metrics when the process ends through %s', async (mode, exitCode) => {
    const p = prefix()
    const { code } = await runChild({ MODE: mode, STATSD_HOST: '127.0.0.1', PREFIX: p })
    expect(code).toBe(exitCode)
    await eventually(() => statsd.counterTotal(`${p}.ended`) === 1, 3000)
  })
})

describe('Stats timers', () => {
  it('times sync and async functions with time(name, fn)', async () => {
    const p = prefix()
    const instance = stats({ prefix: p })
    expect(instance.time('render.home', () => 42)).toBe(42)
    await expect(
      instance.time('cache.get', async () => {
        await new Promise((resolve) => setTimeout(resolve, 30))
        return 'hit'
      }),
    ).resolves.toBe('hit')
    expect(() =>
      instance.time('render.fail', () => {
        throw new RangeError('bad')
      }),
    ).toThrow(RangeError)
    await eventually(() => statsd.timerValues(`${p}.timers.render.home`).length === 1)
    await eventually(() => statsd.timerValues(`${p}.timers.cache.get`).length === 1)
    expect(statsd.timerValues(`${p}.timers.cache.get`)[0]).toBeGreaterThanOrEqual(25)
    await eventually(() => statsd.timerValues(`${p}.timers.render.fail`).length === 1)
  })

  it('times SQL by statement kind and outbound HTTP by host from core operations', async () => {
    const p = prefix()
    stats({ prefix: p })
    startOperation({ kind: 'sql', description: 'SELECT 1', attributes: { statement: 'select' } }).end()
    startOperation({ kind: 'sql', description: 'UPDATE t SET a = 1' }).end(new Error('deadlock'))
    startOperation({ kind: 'http', description: 'GET http://api.local/x', attributes: { host: 'api.local:8080' } }).end()
    startOperation({ kind: 'redis', description: 'GET k' }).end()
    await eventually(() => statsd.timerValues(`${p}.sql.select`).length === 1)
    await eventually(() => statsd.timerValues(`${p}.sql.update`).length === 1)
    await eventually(() => statsd.counterTotal(`${p}.sql.errors.update`) === 1)
    await eventually(() => statsd.timerValues(`${p}.http_client.api_local_8080`).length === 1)
    await eventually(() => statsd.timerValues(`${p}.operations.redis`).length === 1)
  })
})

describe('createStats tag modes', () => {
  it('writes DogStatsD tags instead of key segments', async () => {
    const receiver = await udpReceiver()
    cleanups.push(() => receiver.close())
    const instance = createStats({
      port: receiver.port,
      mode: 'dogstatsd',
      prefix: 'app',
      processIntervalMs: 0,
      flushIntervalMs: 10,
      globalTags: { env: 'test' },
    })
    cleanups.push(() => instance.close())
    instance.timing('http.request', 12.5, { route: '/users/:id', method: 'GET', status_class: '2xx' })
    const line = await eventually(() => receiver.lines().find((l) => l.startsWith('app.http.request:')))
    expect(line).toMatch(/^app\.http\.request:12\.5\|ms\|#/)
    expect(line).toContain('route:/users/_id')
    expect(line).toContain('method:GET')
    expect(line).toContain('env:test')
  })

  it('writes Telegraf tags in the metric name', async () => {
    const receiver = await udpReceiver()
    cleanups.push(() => receiver.close())
    const instance = createStats({ port: receiver.port, mode: 'telegraf', processIntervalMs: 0, flushIntervalMs: 10 })
    cleanups.push(() => instance.close())
    instance.increment('http.response', 1, { status_code: 503 })
    const line = await eventually(() => receiver.lines().find((l) => l.startsWith('http.response')))
    expect(line).toBe('http.response,status_code=503:1|c')
  })
})

describe('createStats when StatsD is missing or stalled', () => {
  // maxBufferSize 0: one packet per metric. Packets handed to the socket complete a loop turn
  // later at the earliest, so a synchronous burst is what a stalled socket looks like.
  it('hands at most maxPacketsInFlight packets to a socket that has not caught up, and drops the rest', async () => {
    const p = prefix()
    const instance = stats({ prefix: p, maxBufferSize: 0, maxPacketsInFlight: 5 })
    for (let i = 0; i < 1000; i++) instance.increment('burst')
    expect(instance.dropped).toBe(995)
    await eventually(() => statsd.counterTotal(`${p}.burst`) === 5)
    // once the socket has caught up, metrics flow again
    instance.increment('after')
    await eventually(() => statsd.counterTotal(`${p}.after`) === 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(statsd.counterTotal(`${p}.burst`)).toBe(5)
    expect(instance.dropped).toBe(995)
  })

  it('never throws and drops every metric when the host cannot be resolved', async () => {
    const diagnostics: DiagnosticEvent[] = []
    cleanups.push(onDiagnostic((event) => diagnostics.push(event)))
    const instance = createStats({ host: 'statsd.invalid', processIntervalMs: 0, maxBufferSize: 0, maxPacketsInFlight: 5 })
    cleanups.push(() => instance.close())
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) expect(() => instance.increment('flood', 1, { i: i % 10 })).not.toThrow()
      // a round never holds more than 5 packets: 5 fail in the socket, 995 never reach it
      await eventually(() => instance.dropped === 1000 * (round + 1))
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(instance.dropped).toBe(3000)
    expect(diagnostics.filter((event) => event.scope === 'stats')).toHaveLength(1)
  })

  it('keeps serving when nothing listens on the StatsD port', async () => {
    const instance = createStats({ host: '127.0.0.1', port: 1, processIntervalMs: 10, flushIntervalMs: 5 })
    cleanups.push(() => instance.close())
    for (let i = 0; i < 1000; i++) instance.timing('x', i)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(() => instance.increment('y')).not.toThrow()
  })
})

describe('resolveStatsOptions', () => {
  it('reads STATSD_HOST, STATSD_PORT and STATSD_PREFIX', () => {
    const resolved = resolveStatsOptions({}, { STATSD_HOST: 'metrics', STATSD_PORT: '8200', STATSD_PREFIX: 'shop' })
    expect(resolved).toMatchObject({ host: 'metrics', port: 8200, prefix: 'shop.', mode: 'graphite' })
  })

  it('prefers options to the environment', () => {
    expect(resolveStatsOptions({ port: 9000, prefix: '' }, { STATSD_PORT: '8200', STATSD_PREFIX: 'x' })).toMatchObject({
      port: 9000,
      prefix: '',
    })
  })

  it('rejects bad options with TypeError or RangeError', () => {
    expect(() => resolveStatsOptions({ port: 70000 })).toThrow(RangeError)
    expect(() => resolveStatsOptions({ port: 'a' as never })).toThrow(TypeError)
    expect(() => resolveStatsOptions({ mode: 'influx' as never })).toThrow(RangeError)
    expect(() => resolveStatsOptions({}, { STATSD_PORT: 'abc' })).toThrow(RangeError)
    expect(() => createStats({ processIntervalMs: -1 })).toThrow(RangeError)
  })

  it('rejects a prefix, host or tag that would forge datagrams, with ERR_INTRO_INVALID_OPTION', () => {
    for (const prefix of ['app\nforged.metric:1|c', 'app:1|c', 'a|b', 'a b', 'a#b', 'a@b']) {
      expect(() => resolveStatsOptions({ prefix })).toThrow(expect.objectContaining({ code: 'ERR_INTRO_INVALID_OPTION' }))
    }
    expect(() => resolveStatsOptions({}, { STATSD_PREFIX: 'x\ny' })).toThrow(TypeError)
    expect(() => resolveStatsOptions({ host: 'h\r\nx' })).toThrow(TypeError)
    expect(() => resolveStatsOptions({ globalTags: { env: 'prod\nx:1|c' } })).toThrow(TypeError)
    expect(() => resolveStatsOptions({ globalTags: { 'a:b': 'c' } })).toThrow(TypeError)
    expect(resolveStatsOptions({ prefix: 'my-app.web_1', globalTags: { env: 'prod' } })).toMatchObject({ prefix: 'my-app.web_1.' })
  })

  it('rejects unknown and misspelled option keys, suggesting the option meant', () => {
    let thrown: { code?: string; message?: string } | undefined
    try {
      resolveStatsOptions({ prefx: 'app' } as never)
    } catch (error) {
      thrown = error as typeof thrown
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect(thrown?.code).toBe('ERR_INTRO_INVALID_OPTION')
    expect(thrown?.message).toContain('`prefix`')
    expect(() => createStats({ static: 'x' } as never)).toThrow(TypeError)
  })
})

describe('Stats.close', () => {
  it('sends what is still buffered', async () => {
    const p = prefix()
    const instance = createStats({ host: statsd.host, port: statsd.port, prefix: p, processIntervalMs: 0, flushIntervalMs: 600_000 })
    instance.increment('closing.buffered', 2)
    await instance.close()
    await eventually(() => statsd.counterTotal(`${p}.closing.buffered`) === 2, 3000)
  })

  it('leaves no timers or sockets behind', async () => {
    const before = process.getActiveResourcesInfo().length
    const instance = createStats({ host: statsd.host, port: statsd.port, processIntervalMs: 20 })
    instance.increment('closing')
    await instance.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(before)
  })
})
