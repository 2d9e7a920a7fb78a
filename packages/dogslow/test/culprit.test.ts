import { exec, execFile, execFileSync } from 'node:child_process'
import { createReadStream, readFileSync } from 'node:fs'
import { open, readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type PostgresServer, type RedisServer, startHttpServer, startPostgres, startRedis } from '@intro/test-utils'
import express from 'express'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowCompletion, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, markerLine, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

let postgres: PostgresServer
let redis: RedisServer
beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgres(), startRedis()])
})
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()])
})

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

const here = import.meta.url
const culpritOf = (text: string) => text.split('\n')[0] ?? ''
const culpritAt = (marker: string) => new RegExp(`^Culprit: .* \\(.*culprit\\.test\\.ts:${markerLine(here, marker)}\\)$`)

/** An Express app with dogslow first and one route; returns its base URL. */
async function expressApp(dog: ReturnType<typeof createDogslow>, path: string, handler: express.RequestHandler): Promise<string> {
  const app = express()
  app.use(dog.express())
  app.get(path, handler)
  return listen(http.createServer(app))
}

describe('createDogslow names the app line of a tracked wait, with no wiring', () => {
  it('a pg Pool query (pg loaded before the watchdog)', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 300, outputDir: dir, onReport: (r) => reports.push(r) })
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 })
    defer(() => pool.end())
    const url = await expressApp(dog, '/orders/:id', async (req, res) => {
      const result = await pool.query('SELECT pg_sleep(0.9), $1::text AS id', [req.params.id]) // PG-POOL
      res.json(result.rows[0])
    })
    const response = fetch(`${url}/orders/7`)
    const [text = ''] = await waitForReports(dir, 1)
    expect(culpritOf(text)).toMatch(culpritAt('PG-POOL'))
    expect(text).toContain('[sql] SELECT pg_sleep(0.9), $1::text AS id')
    expect(text).not.toContain('nothing dogslow can see')
    expect(((await (await response).json()) as { id: string }).id).toBe('7')
    expect(reports[0]?.culprit).toMatchObject({ source: 'operation', line: markerLine(here, 'PG-POOL') })
  })

  it('a pg Client query with a callback', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 300, outputDir: dir })
    const client = new pg.Client({ connectionString: postgres.connectionString })
    await client.connect()
    defer(() => client.end())
    const url = await listen(
      dog.wrap((_req, res) => {
        client.query('SELECT pg_sleep(0.8)', (error: Error | null) => res.end(error ? 'failed' : 'ok')) // PG-CLIENT
      }),
    )
    const response = fetch(`${url}/client`)
    const [text = ''] = await waitForReports(dir, 1)
    expect(culpritOf(text)).toMatch(culpritAt('PG-CLIENT'))
    expect(await (await response).text()).toBe('ok')
  })

  it('an ioredis blocking command (BLPOP) and a pipeline', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 300, outputDir: dir, onReport: (r) => reports.push(r) })
    const client = new Redis(redis.url)
    const pusher = new Redis(redis.url)
    defer(() => {
      client.disconnect()
      pusher.disconnect()
    })
    const url = await expressApp(dog, '/jobs/next', async (_req, res) => {
      await client.pipeline().set('dogslow:seen', '1').get('dogslow:seen').exec()
      const job = await client.blpop('dogslow:jobs', 5) // REDIS-BLPOP
      res.json(job)
    })
    const response = fetch(`${url}/jobs/next`)
    const [text = ''] = await waitForReports(dir, 1)
    expect(culpritOf(text)).toMatch(culpritAt('REDIS-BLPOP'))
    expect(text).toContain('[redis] BLPOP dogslow:jobs …')
    await pusher.rpush('dogslow:jobs', 'job-1')
    expect(await (await response).json()).toEqual(['dogslow:jobs', 'job-1'])
    // The pipeline had settled: only the blocking command is listed.
    expect(reports[0]?.waitingOn.map((op) => op.description)).toEqual(['BLPOP dogslow:jobs …'])
  })

  it('fetch and http.get to a slow upstream, two concurrent requests each with its own line', async () => {
    const dir = tempDir()
    const upstream = await startHttpServer((_req, res) => {
      setTimeout(() => res.end('late'), 900)
    })
    defer(() => upstream.stop())
    const dog = watchdog({ timerMs: 300, outputDir: dir })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url === '/via-fetch') {
          res.end(await (await fetch(`${upstream.url}/slow?token=abc`)).text()) // FETCH-LINE
          return
        }
        http.get(`${upstream.url}/slow-get`, (answer) => answer.resume().on('end', () => res.end('got'))) // HTTP-GET-LINE
      }),
    )
    const bodies = Promise.all([fetch(`${url}/via-fetch`), fetch(`${url}/via-get`)].map(async (r) => (await r).text()))
    const texts = await waitForReports(dir, 2)
    const viaFetch = texts.find((text) => text.includes('/via-fetch\n')) ?? ''
    const viaGet = texts.find((text) => text.includes('/via-get\n')) ?? ''
    expect(culpritOf(viaFetch)).toMatch(culpritAt('FETCH-LINE'))
    expect(viaFetch).toMatch(/\[http\] GET http:\/\/127\.0\.0\.1:\d+\/slow\?token=\[redacted\]/)
    expect(viaFetch).not.toContain('slow-get')
    expect(culpritOf(viaGet)).toMatch(culpritAt('HTTP-GET-LINE'))
    expect(viaGet).toMatch(/\[http\] GET http:\/\/127\.0\.0\.1:\d+\/slow-get/)
    expect(viaGet).not.toContain('token')
    // undici's twenty frames are one folded line.
    expect(viaFetch).not.toMatch(/\n {6}at [^\n]*(undici|node:internal)/)
    expect(await bodies).toEqual(['late', 'got'])
  })

  it('an async child process: execFile with a callback and promisified exec, each with its own line', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 300, outputDir: dir, traceTimers: false, onReport: (r) => reports.push(r) })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url === '/exec-file') {
          execFile('sleep', ['0.9'], () => res.end('child done')) // CHILD-EXECFILE
          return
        }
        const { stdout } = await promisify(exec)('sleep 0.9 && echo --token=abc') // CHILD-EXEC
        res.end(stdout.trim())
      }),
    )
    const bodies = Promise.all([fetch(`${url}/exec-file`), fetch(`${url}/exec`)].map(async (r) => (await r).text()))
    const texts = await waitForReports(dir, 2)
    const viaExecFile = texts.find((text) => text.includes('/exec-file\n')) ?? ''
    const viaExec = texts.find((text) => text.includes('/exec\n')) ?? ''
    expect(culpritOf(viaExecFile)).toMatch(culpritAt('CHILD-EXECFILE'))
    expect(viaExecFile).toContain('[process] sleep …')
    expect(culpritOf(viaExec)).toMatch(culpritAt('CHILD-EXEC'))
    // A shell command is named by its first word; its arguments are never shown.
    expect(viaExec).toContain('[process] sleep …')
    expect(viaExec).not.toContain('abc')
    await until(() => reports.length === 2)
    expect(reports.map((r) => r.culprit?.source)).toEqual(['operation', 'operation'])
    expect(await bodies).toEqual(['child done', '--token=abc'])
  })

  it('a read stream and fs.promises reads on a FIFO, each with its own line', async () => {
    const dir = tempDir()
    const fifos = ['stream', 'read-file', 'handle'].map((name) => join(tempDir(), name))
    for (const fifo of fifos) execFileSync('mkfifo', [fifo])
    const [streamFifo = '', readFileFifo = '', handleFifo = ''] = fifos
    const dog = watchdog({ timerMs: 300, outputDir: dir, traceTimers: false })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url === '/stream') {
          let body = ''
          createReadStream(streamFifo, 'utf8') // FIFO-STREAM
            .on('data', (chunk) => {
              body += chunk
            })
            .on('end', () => res.end(body))
          return
        }
        if (req.url === '/read-file') {
          res.end(await readFile(readFileFifo, 'utf8')) // FIFO-READFILE
          return
        }
        const handle = await open(handleFifo) // FIFO-OPEN
        try {
          const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64) // FIFO-READ
          res.end(buffer.subarray(0, bytesRead).toString('utf8'))
        } finally {
          await handle.close()
        }
      }),
    )
    const bodies = Promise.all(['/stream', '/read-file'].map(async (path) => (await fetch(`${url}${path}`)).text()))
    const texts = await waitForReports(dir, 2)
    const viaStream = texts.find((text) => text.includes('/stream\n')) ?? ''
    const viaReadFile = texts.find((text) => text.includes('/read-file\n')) ?? ''
    expect(culpritOf(viaStream)).toMatch(culpritAt('FIFO-STREAM'))
    expect(viaStream).toContain(`[fs] read ${streamFifo}`)
    expect(culpritOf(viaReadFile)).toMatch(culpritAt('FIFO-READFILE'))
    await Promise.all([writeFile(streamFifo, 'from the pipe'), writeFile(readFileFifo, 'read whole')])
    expect(await bodies).toEqual(['from the pipe', 'read whole'])

    // open() on a FIFO waits for a writer; once one is there, read() waits for its data.
    const opened = fetch(`${url}/handle`).then((r) => r.text())
    const [opening = ''] = (await waitForReports(dir, 3)).filter((text) => text.includes('/handle\n'))
    expect(culpritOf(opening)).toMatch(culpritAt('FIFO-OPEN'))
    expect(opening).toContain(`[fs] open ${handleFifo}`)
    await writeFile(handleFifo, 'by handle')
    expect(await opened).toBe('by handle')
    const writer = open(handleFifo, 'w')
    const reading = fetch(`${url}/handle`).then((r) => r.text())
    const [read = ''] = (await waitForReports(dir, 4)).filter((text) => text.includes('/handle\n') && !text.includes('[fs] open'))
    expect(culpritOf(read)).toMatch(culpritAt('FIFO-READ'))
    const handle = await writer
    await handle.write('later')
    await handle.close()
    expect(await reading).toBe('later')
  })

  it('records nothing with `integrations: false`, and stops recording at close', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 200, outputDir: dir, integrations: false, traceTimers: false, onReport: (r) => reports.push(r) })
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 1 })
    defer(() => pool.end())
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await pool.query('SELECT pg_sleep(0.5)')
        res.end('ok')
      }),
    )
    const before = pg.Pool.prototype.query
    expect(await (await fetch(`${url}/off`)).text()).toBe('ok')
    await until(() => reports.length === 1)
    expect(reports[0]?.waitingOn).toEqual([])
    // Another watchdog patches pg while it runs and restores it when closed.
    const other = createDogslow({ timerMs: 60_000, logToFile: false, watchBlocked: false })
    expect(pg.Pool.prototype.query).not.toBe(before)
    await other.close()
    expect(pg.Pool.prototype.query).toBe(before)
  })
})

describe('createDogslow follows an untracked wait to where the request resumed', () => {
  function followed(options: { timerMs: number; dir: string }) {
    const completions: DogslowCompletion[] = []
    const reports: DogslowReport[] = []
    const dog = watchdog({
      timerMs: options.timerMs,
      outputDir: options.dir,
      traceTimers: false,
      onReport: (r) => reports.push(r),
      onComplete: (c) => completions.push(c),
    })
    return { dog, completions, reports }
  }
  const resumedAt = (marker: string) => new RegExp(`; it resumed [\\d.]+ m?s in, on a \\w+, at .* \\(.*culprit\\.test\\.ts:${markerLine(here, marker)}\\)$`)

  it('a lock: a promise held by another request', async () => {
    const dir = tempDir()
    const { dog, completions, reports } = followed({ timerMs: 300, dir })
    let release: () => void = () => {}
    const lock = new Promise<void>((resolve) => {
      release = resolve
    })
    const url = await listen(
      dog.wrap(async (req, res) => {
        if (req.url === '/holder') {
          setTimeout(release, 900)
          res.end('holding')
          return
        }
        await lock // LOCK-WAIT
        res.end('got the lock') // LOCK-RESUME
      }),
    )
    const waiting = fetch(`${url}/waiter`).then((r) => r.text())
    await until(() => reports.length === 1)
    expect(await (await fetch(`${url}/holder`)).text()).toBe('holding')
    expect(await waiting).toBe('got the lock')
    const [text = ''] = await waitForReports(dir, 1)
    expect(culpritOf(text)).toMatch(/^Culprit: unknown \(an untracked wait/)
    await until(() => completions.length === 1)
    // `via` names the resource the code resumed on (`Promise` on Node 20, `callback` on Node 24, whose async context frames hide it).
    expect(completions[0]?.resumed).toMatchObject({ via: expect.any(String), where: { line: markerLine(here, 'LOCK-RESUME') } })
    await until(() => readFileSync(reports[0]?.file ?? '', 'utf8').includes('\nSlow request '))
    expect(readFileSync(reports[0]?.file ?? '', 'utf8').trimEnd().split('\n').at(-1)).toMatch(resumedAt('LOCK-RESUME'))
  })

  it('a promise that never settles: the follow-up says the code never ran again', async () => {
    const dir = tempDir()
    const { dog, completions, reports } = followed({ timerMs: 300, dir })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await new Promise(() => {}) // NEVER-SETTLES
        res.end('unreachable')
      }),
    )
    const abort = new AbortController()
    const response = fetch(`${url}/never`, { signal: abort.signal }).catch((error: Error) => error.name)
    await until(() => reports.length === 1)
    abort.abort()
    expect(await response).toBe('AbortError')
    await until(() => completions.length === 1)
    expect(completions[0]).toMatchObject({ aborted: true, resumed: null })
    await until(() => readFileSync(reports[0]?.file ?? '', 'utf8').includes('\nSlow request '))
    expect(readFileSync(reports[0]?.file ?? '', 'utf8')).toContain('its code never ran again after the report')
    // The probe is gone with the last followed request.
    expect(dog.stats()).toEqual({ watching: 0, reported: 0, deliveries: 0 })
  })
})
