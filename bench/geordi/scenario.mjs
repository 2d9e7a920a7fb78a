// geordi: time from an admin's `?__geordi__` request to the PDF being ready, for a route that
// burns 200 ms of CPU, inline (profiled in the web process) and through BullMQ on a real
// redis-server and a real worker process; plus the PDF's size. Baseline: the same route
// served without geordi. Arms alternate round by round.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startRedis } from '@intro/test-utils'
import { machineInfo, median, writeResult } from '../lib/index.mjs'
import { createApp } from './app.mjs'

const ROUTE = '/cpu?ms=200'
const ROUNDS = 5
const ADMIN = { 'x-bench-admin': 'yes' }

function listen(app) {
  const server = createServer(app)
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ base: `http://127.0.0.1:${server.address().port}`, server }))
  })
}

async function startWorker(env) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./worker.mjs', import.meta.url))], {
    env: { ...process.env, ...env, INTRO_DIAGNOSTICS: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited (${code})`)))
    createInterface({ input: child.stdout }).on('line', (line) => line === 'ready' && resolve())
  })
  return child
}

async function profileOnce(base) {
  const started = performance.now()
  const res = await fetch(`${base}${ROUTE}&__geordi__`, { headers: ADMIN, redirect: 'manual' })
  const location = res.headers.get('location')
  if (res.status !== 303 || !location) throw new Error(`expected a 303, got ${res.status}`)
  for (let i = 0; i < 1200; i++) {
    const status = await (await fetch(`${base}${location}.json`, { headers: ADMIN })).json()
    if (status.state === 'done') return { ms: performance.now() - started, status }
    if (status.state === 'failed') throw new Error(`${status.error.code}: ${status.error.message}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('job did not finish within 12 s of polling')
}

async function bareOnce(base) {
  const started = performance.now()
  await (await fetch(`${base}${ROUTE}`)).arrayBuffer()
  return { ms: performance.now() - started }
}

const outDir = mkdtempSync(join(tmpdir(), 'bench-geordi-'))
const redis = await startRedis()
const queueName = `bench-geordi-${process.pid}`
const worker = await startWorker({ REDIS_URL: redis.url, GEORDI_OUT_DIR: outDir, GEORDI_QUEUE: queueName })
const inlineApp = createApp({ outDir, env: {} })
const queueApp = createApp({ outDir, redisUrl: redis.url, queueName, env: {} })
const inline = await listen(inlineApp)
const queued = await listen(queueApp)

const arms = [
  { name: 'route without geordi', run: () => bareOnce(inline.base) },
  { name: 'inline: ?__geordi__ → PDF ready', run: () => profileOnce(inline.base) },
  { name: 'BullMQ worker: ?__geordi__ → PDF ready', run: () => profileOnce(queued.base) },
]
const samples = arms.map(() => [])
const stages = arms.map(() => ({ queuedMs: [], wallMs: [], renderMs: [], pdfBytes: [] }))
try {
  for (const arm of arms) await arm.run() // warm-up: loads the renderer, connects Redis
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, arm] of arms.entries()) {
      const { ms, status } = await arm.run()
      samples[index].push(ms)
      if (status) {
        for (const key of ['queuedMs', 'wallMs', 'renderMs']) stages[index][key].push(status.timings[key])
        stages[index].pdfBytes.push(statSync(join(outDir, status.id, 'profile.pdf')).size)
      }
    }
  }
} finally {
  inline.server.close()
  queued.server.close()
  await inlineApp.geordi.close()
  await queueApp.geordi.close()
  worker.kill('SIGTERM')
  await redis.stop()
  rmSync(outDir, { recursive: true, force: true })
}

const round1 = (value) => Math.round(value * 10) / 10
const baseline = median(samples[0])
const result = {
  name: 'geordi',
  kind: 'latency',
  title: 'geordi: request to PDF ready (200 ms CPU-bound route)',
  description:
    'Wall time from an admin\'s `GET /cpu?ms=200&__geordi__` (Express) to its status reading `done` (polled every 10 ms), ' +
    'inline and through BullMQ (real redis-server, one real worker process); the baseline is the route served without geordi. ' +
    'Each arm also reports the median queue wait, profiled request, render time and PDF size.',
  date: new Date().toISOString(),
  machine: machineInfo(),
  params: { rounds: ROUNDS, iterations: 1 },
  unit: 'ms',
  arms: arms.map((arm, index) => {
    const value = median(samples[index])
    const stage = stages[index]
    return {
      name: arm.name,
      median: round1(value),
      ratio: round1(value / baseline),
      overheadNs: round1(value - baseline),
      samples: samples[index].map(round1),
      ...(stage.pdfBytes.length > 0
        ? {
            queuedMs: round1(median(stage.queuedMs)),
            requestMs: round1(median(stage.wallMs)),
            renderMs: round1(median(stage.renderMs)),
            pdfBytes: median(stage.pdfBytes),
          }
        : {}),
    }
  }),
}
writeResult(result)
for (const arm of result.arms) {
  const extra = arm.pdfBytes === undefined ? '' : `  (queued ${arm.queuedMs} ms, request ${arm.requestMs} ms, render ${arm.renderMs} ms, PDF ${Math.round(arm.pdfBytes / 1024)} KiB)`
  console.log(`${arm.name.padEnd(42)} ${String(arm.median).padStart(8)} ms  ×${arm.ratio}${extra}`)
}
