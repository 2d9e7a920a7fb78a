import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { GeordiErrorCodes, type JobStatus } from '@intro/geordi'
import { type RedisServer, startRedis } from '@intro/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import {
  ADMIN,
  ADMIN_COOKIE,
  cleanEnv,
  download,
  EXPRESS_APP,
  FIXTURES,
  get,
  listen,
  pdfText,
  removeDir,
  startProfile,
  startWorkerBin,
  tempDir,
  WORKER_BIN,
  waitForJob,
  type WorkerProcess,
} from './helpers.js'

let redis: RedisServer
let client: Redis
let worker: WorkerProcess & { readyLine: string }
let web: { url: string; close(): Promise<void> }
let geordi: { close(): Promise<void> }
let outDir: string
// Not the default queue name: the web side and the bin only meet if --queue is honoured.
const queueName = `geordi-cli-${process.pid}`

beforeAll(async () => {
  redis = await startRedis()
  client = new Redis(redis.url)
  outDir = tempDir('cli-worker')
  worker = await startWorkerBin(['--app', EXPRESS_APP, '--queue', queueName, '--concurrency', '2', '--redis', redis.url, '--out', outDir])
  const app = createApp({ redisUrl: redis.url, outDir, queueName, env: {} })
  geordi = app.geordi
  web = await listen(createServer(app))
})

afterAll(async () => {
  await web?.close()
  await geordi?.close()
  await worker?.stop()
  client?.disconnect()
  await redis?.stop()
  if (outDir) removeDir(outDir)
})

/** Every value held in Redis (strings, hashes, lists, sets, sorted sets, stream entries), as text. */
async function dumpRedis(): Promise<string> {
  const parts: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', '1000')
    cursor = next
    for (const key of keys) {
      const type = await client.type(key)
      const value =
        type === 'string'
          ? await client.getBuffer(key).then((buffer) => buffer?.toString('latin1'))
          : type === 'hash'
            ? await client.hgetall(key)
            : type === 'list'
              ? await client.lrange(key, 0, -1)
              : type === 'set'
                ? await client.smembers(key)
                : type === 'zset'
                  ? await client.zrange(key, '0', '-1', 'WITHSCORES')
                  : type === 'stream'
                    ? await client.xrange(key, '-', '+')
                    : `unknown type ${type}`
      parts.push(`${key} ${JSON.stringify(value)}`)
    }
  } while (cursor !== '0')
  return parts.join('\n')
}

interface BinRun {
  code: number
  stdout: string
  stderr: string
}

function runBin(args: string[]): Promise<BinRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WORKER_BIN, ...args], { timeout: 30_000, env: cleanEnv() }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

describe('the geordi-worker bin', () => {
  it('is an executable script of the package', () => {
    expect(readFileSync(WORKER_BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(manifest.bin['geordi-worker']).toBe('./dist/worker-cli.js')
  })

  it('takes jobs from the --queue it was given and runs --concurrency 2 of them at once', async () => {
    expect(worker.readyLine).toContain(`queue ${queueName}, concurrency 2`)
    const paths = ['/sleep?ms=1200&job=one', '/sleep?ms=1200&job=two']
    const started = await Promise.all(paths.map((path) => startProfile(web.url, path)))
    const [first, second] = (await Promise.all(started.map(({ pageUrl }) => waitForJob(pageUrl)))) as [JobStatus, JobStatus]
    for (const status of [first, second]) {
      expect(status).toMatchObject({ state: 'done', mode: 'queue', workerHost: worker.host, response: { statusCode: 200 } })
    }
    // One job at a time would start the second only after the first finished.
    expect(second.startedAt!).toBeLessThan(first.finishedAt!)
    expect(first.startedAt!).toBeLessThan(second.finishedAt!)

    for (const [index, { pageUrl, id }] of started.entries()) {
      const pdfPath = join(outDir, `bin-${id}.pdf`)
      const res = await download(`${pageUrl}.pdf`, pdfPath)
      expect(res.headers.get('content-type')).toBe('application/pdf')
      expect(pdfText(pdfPath)).toContain(paths[index])
    }
    expect(worker.output()).toContain(`job ${first.id} done`)
  })

  it('reports queued or running on the status and the waiting page before done', async () => {
    const { pageUrl, id } = await startProfile(web.url, '/sleep?ms=1500')
    const statusUrl = pageUrl.replace(`__geordi__=${id}`, `__geordi__=${id}.json`)
    const seen: string[] = []
    let waitingHtml: string | undefined
    const deadline = Date.now() + 25_000
    for (;;) {
      const status = (await (await get(statusUrl, ADMIN)).json()) as JobStatus
      if (seen.at(-1) !== status.state) seen.push(status.state)
      if (status.state === 'done' || status.state === 'failed') break
      if (waitingHtml === undefined) {
        const page = await get(pageUrl, ADMIN)
        const state = page.headers.get('x-geordi-state')
        const html = await page.text()
        if (state === 'queued' || state === 'running' || state === 'rendering') waitingHtml = html
      }
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(seen.at(-1)).toBe('done')
    expect(seen.slice(0, -1).some((state) => state === 'queued' || state === 'running')).toBe(true)
    expect(waitingHtml).toBeDefined()
    expect(waitingHtml).toMatch(/<span id="state" class="state">(queued|running|rendering)<\/span>/)
    // The page follows the job: its script polls the status JSON, and it reloads without script.
    const polled = /fetch\(("(?:[^"\\]|\\.)*")/.exec(waitingHtml ?? '')?.[1] ?? 'null'
    expect(JSON.parse(polled)).toBe(new URL(statusUrl).pathname + new URL(statusUrl).search)
    expect(waitingHtml).toContain('<noscript><meta http-equiv="refresh"')
  })

  it('never logs credentials nor leaves them in Redis once jobs settle', async () => {
    const cookieSecret = 'ck-7f3e9a1d-distinct'
    const authSecret = 'az-91c4e2b8-distinct'
    const headers = { cookie: `${ADMIN_COOKIE}; track=${cookieSecret}`, authorization: `Bearer ${authSecret}` }
    const profileAs = async (path: string) => {
      const res = await get(`${web.url}${path}${path.includes('?') ? '&' : '?'}__geordi__`, headers)
      expect(res.status).toBe(303)
      return new URL(res.headers.get('location')!, web.url).href
    }

    // While the job waits or runs, its payload (credentials included) is in Redis: the scan sees it.
    const slow = await profileAs('/sleep?ms=1500')
    expect(await dumpRedis()).toContain(cookieSecret)
    const statuses = [await waitForJob(slow)]
    // After the first job: a crash fails every job running in the worker at that moment.
    statuses.push(await waitForJob(await profileAs('/crash')))
    expect(statuses.map((status) => status.state)).toEqual(['done', 'failed'])
    expect(statuses[1]!.error?.code).toBe(GeordiErrorCodes.appCrashed)

    // The worker did log both jobs and the crash's diagnostics...
    const output = worker.output()
    expect(output).toContain(`job ${statuses[0]!.id} done`)
    expect(output).toContain(`job ${statuses[1]!.id} failed`)
    expect(output).toMatch(/error geordi\.worker: .*fixture crash in a timer/)
    // ...and none of the credentials, nor anything else of the job payload.
    for (const secret of [cookieSecret, authSecret, 'admin-cookie-value']) {
      expect(output).not.toContain(secret)
      expect(await dumpRedis()).not.toContain(secret)
    }
  })

  it('exits 2 with the usage on bad arguments', async () => {
    const cases: [string[], string][] = [
      [[], '--app is required'],
      [['--app', EXPRESS_APP, '--concurrency', 'two'], '--concurrency'],
      [['--app', EXPRESS_APP, '--concurrency', '0'], '--concurrency'],
      [['--app', EXPRESS_APP, '--bogus'], '--bogus'],
      [['--app', EXPRESS_APP, '--redis', 'http://127.0.0.1:1'], 'redisUrl'],
      [['--app', EXPRESS_APP, '--queue', 'a:b'], 'queueName'],
    ]
    for (const [args, named] of cases) {
      const run = await runBin(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain(named)
      expect(run.stderr).toContain('Usage: geordi-worker')
    }
  })

  it('exits 1 naming the problem when the app cannot be loaded', async () => {
    const missing = await runBin(['--app', join(FIXTURES, 'missing-app.mjs'), '--redis', redis.url])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('missing-app.mjs')
    const noApp = await runBin(['--app', join(FIXTURES, 'no-app.mjs'), '--redis', redis.url])
    expect(noApp.code).toBe(1)
    expect(noApp.stderr).toContain(GeordiErrorCodes.appExport)
  })

  it('prints the usage for --help and exits 0', async () => {
    const run = await runBin(['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Usage: geordi-worker')
  })

  it('stops on SIGTERM with exit code 0', async () => {
    await worker.stop()
    expect(worker.child.exitCode).toBe(0)
    expect(worker.output()).toContain('SIGTERM: finishing running jobs')
  })
})

describe('geordi-worker on SIGTERM', () => {
  /** A worker bin and a web app of its own queue, so stopping it leaves the other tests' worker alone. */
  async function pair(extraArgs: string[]) {
    const queue = `geordi-stop-${process.pid}-${extraArgs.length}`
    const bin = await startWorkerBin(['--app', EXPRESS_APP, '--queue', queue, '--redis', redis.url, '--out', outDir, ...extraArgs])
    const app = createApp({ redisUrl: redis.url, outDir, queueName: queue, env: {} })
    const server = await listen(createServer(app))
    return {
      bin,
      url: server.url,
      close: async () => {
        await server.close()
        await app.geordi.close()
        await bin.stop()
      },
    }
  }

  async function untilRunning(pageUrl: string, id: string): Promise<void> {
    const statusUrl = pageUrl.replace(`__geordi__=${id}`, `__geordi__=${id}.json`)
    const deadline = Date.now() + 20_000
    while (((await (await get(statusUrl, ADMIN)).json()) as JobStatus).state !== 'running') {
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  it('finishes the running job, then exits 0', async () => {
    const { bin, url, close } = await pair([])
    try {
      const { pageUrl, id } = await startProfile(url, '/sleep?ms=1500&stop=graceful')
      await untilRunning(pageUrl, id)
      const exited = new Promise<number | null>((resolve) => bin.child.once('exit', resolve))
      bin.child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(await waitForJob(pageUrl)).toMatchObject({ state: 'done', response: { statusCode: 200 } })
    } finally {
      await close()
    }
  })

  it('fails a job still running after --grace-ms with ERR_GEORDI_WORKER_STOPPED, and exits 0', async () => {
    const { bin, url, close } = await pair(['--grace-ms', '300'])
    try {
      const { pageUrl, id } = await startProfile(url, '/hang')
      await untilRunning(pageUrl, id)
      const exited = new Promise<number | null>((resolve) => bin.child.once('exit', resolve))
      bin.child.kill('SIGTERM')
      expect(await exited).toBe(0)
      const status = await waitForJob(pageUrl)
      expect(status.state).toBe('failed')
      expect(status.error?.code).toBe(GeordiErrorCodes.workerStopped)
      expect(bin.output()).toContain('SIGTERM: finishing running jobs (at most 300 ms)')
    } finally {
      await close()
    }
  })
})
