import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expressMiddleware, startOperation } from '@intro/core'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GraphitePipeline, startGraphitePipeline } from '../scripts/start-graphite-pipeline.mjs'
import { DOGSLOW_REPORT_CHANNEL, type Stats, createStats } from '../src/index.js'
import { eventually, listen } from './helpers.js'

let pipeline: GraphitePipeline
let stats: Stats

beforeAll(async () => {
  // Fails loudly when graphite-carbon is not installed: this test is the proof of the pipeline.
  pipeline = await startGraphitePipeline({ flushMs: 1000, removeOnStop: true })
})
afterAll(async () => {
  await stats?.close()
  await pipeline?.stop()
})

/** Sum of the non-empty points of a whisper file over the last 10 minutes, read with whisper-fetch. */
function whisperSum(metric: string): number | undefined {
  const file = join(pipeline.whisperDir, ...metric.split('.')) + '.wsp'
  if (!existsSync(file)) return undefined
  const from = Math.floor(Date.now() / 1000) - 600
  const output = execFileSync('whisper-fetch', [`--from=${from}`, file], { encoding: 'utf8' })
  const values = output
    .split('\n')
    .map((line) => line.split('\t')[1])
    .filter((value): value is string => value !== undefined && value !== 'None')
    .map(Number)
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0)
}

describe('Graphite pipeline (statsd daemon → carbon-cache → whisper)', () => {
  it('stores request timers, status counters and gauges where the dashboards read them', async () => {
    const prefix = `e2e${randomUUID().slice(0, 6)}`
    stats = createStats({ host: pipeline.statsdHost, port: pipeline.statsdPort, prefix, flushIntervalMs: 50, processIntervalMs: 500 })
    const app = express()
    app.use(expressMiddleware())
    app.get('/products/:sku', (_req, res) => {
      res.send('ok')
    })
    app.get('/broken', (_req, res) => {
      res.status(503).send('down')
    })
    const server = await listen(app)
    try {
      for (let i = 0; i < 7; i++) expect((await fetch(`${server.url}/products/${i}`)).status).toBe(200)
      expect((await fetch(`${server.url}/broken`)).status).toBe(503)
      stats.time('render.page', () => 'html')
      stats.time('render', () => 'html')
      startOperation({ kind: 'sql', description: 'SELECT 1' }).end()
      startOperation({ kind: 'sql', description: 'DELETE FROM t' }).end(new Error('locked'))
      startOperation({ kind: 'http', description: 'GET http://api/', attributes: { host: 'api.local' } }).end()
      stats.recordException(new Error('boom'))
      diagnosticsChannel.channel(DOGSLOW_REPORT_CHANNEL).publish({})
    } finally {
      await server.close()
    }
    const count = await eventually(() => {
      const sum = whisperSum(`stats.timers.${prefix}.http.request.products_sku.GET.2xx.count`)
      return sum === 7 ? sum : undefined
    }, 30_000)
    expect(count).toBe(7)
    await eventually(() => whisperSum(`stats_counts.${prefix}.http.response.200`) === 7, 30_000)
    await eventually(() => whisperSum(`stats.timers.${prefix}.timers.render.page.count`) === 1, 30_000)
    const rss = await eventually(() => whisperSum(`stats.gauges.${prefix}.process.memory.rss`), 30_000)
    expect(rss).toBeGreaterThan(10_000_000)

    // Every series the shipped dashboards draw exists in carbon's storage.
    const files = listWhisper(pipeline.whisperDir)
    for (const dashboard of ['graphite-web-dashboard.json', 'grafana-dashboard.json']) {
      const text = readFileSync(join(import.meta.dirname, '..', 'dashboards', dashboard), 'utf8')
      const patterns = [...new Set(text.match(/stats(?:_counts)?\.[A-Za-z0-9_.*$]*[A-Za-z0-9_*]/g) ?? [])]
      expect(patterns.length).toBeGreaterThan(10)
      for (const pattern of patterns) {
        const regex = new RegExp(
          `^${pattern.replaceAll('$prefix', prefix).replaceAll('PREFIX', prefix).replaceAll('.', '\\.').replaceAll('*', '[^.]+')}$`,
        )
        await eventually(() => files().some((file) => regex.test(file)), 15_000).catch(() => {
          throw new Error(`${dashboard}: no series in carbon for ${pattern}`)
        })
      }
    }
  })
})

function listWhisper(root: string): () => string[] {
  return () => {
    const out: string[] = []
    const walk = (dir: string, path: string[]) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name), [...path, entry.name])
        else if (entry.name.endsWith('.wsp')) out.push([...path, entry.name.slice(0, -4)].join('.'))
      }
    }
    walk(root, [])
    return out
  }
}
