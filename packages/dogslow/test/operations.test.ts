import http from 'node:http'
import { trackOperation } from '@intro/core'
import { type PostgresServer, startHttpServer, startPostgres } from '@intro/test-utils'
import express from 'express'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, markerLine, tempDir, waitForReports } from './helpers.js'

afterEach(cleanup)

let postgres: PostgresServer
beforeAll(async () => {
  postgres = await startPostgres()
})
afterAll(async () => {
  await postgres?.stop()
})

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

describe('createDogslow (what a waiting request waits on)', () => {
  it('shows the SQL text of a slow query on a real Postgres and the app line that issued it', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const dog = watchdog({ timerMs: 400, outputDir: dir, onReport: (r) => reports.push(r) })
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 })
    defer(() => pool.end())
    const app = express()
    app.use(dog.express())
    app.get('/orders/:id', async (req, res) => {
      const text = 'SELECT pg_sleep(1.2), $1::text AS id'
      // Recorded by core's pg integration, which the watchdog enables: no wiring.
      const result = await pool.query(text, [req.params.id]) // ISSUE-SQL
      res.json(result.rows[0])
    })
    const url = await listen(http.createServer(app))
    const response = fetch(`${url}/orders/42`)
    const [text] = await waitForReports(dir, 1)
    expect(text).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/orders\/42\n/)
    expect(text).toContain('Route:      /orders/:id')
    expect(text).toContain('[sql] SELECT pg_sleep(1.2), $1::text AS id')
    const line = markerLine(import.meta.url, 'ISSUE-SQL')
    expect(text).toMatch(new RegExp(`\\n {6}at .*operations\\.test\\.ts:${line}:\\d+\\)?\\n`))
    // First line: the app's line that issued the query, not a wrapper, pg or Express.
    expect((text ?? '').split('\n')[0]).toMatch(new RegExp(`^Culprit: .*\\(.*operations\\.test\\.ts:${line}\\)$`))
    // Express's router frames are one folded line, not twenty.
    expect(text).toMatch(/\n {6}… \d+ frames? in [^\n]*(express|router)[^\n]*\n/)
    expect(text).not.toMatch(/\n {6}at [^\n]*node_modules/)
    // The watchdog's own deadline timer, armed inside this request, is not listed as its wait.
    expect(reports[0]?.waitingOn.map((op) => op.kind)).toEqual(['sql'])
    expect(text).not.toContain('request-watch')
    expect(((await (await response).json()) as { id: string }).id).toBe('42')
  })

  it('shows the URL of a slow outbound HTTP call and the line that issued it', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const upstream = await startHttpServer((_req, res) => {
      setTimeout(() => res.end('late'), 1000)
    })
    defer(() => upstream.stop())
    const dog = watchdog({ timerMs: 300, outputDir: dir, onReport: (r) => reports.push(r) })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        const target = `${upstream.url}/slow-upstream?api_key=abc123`
        const body = await trackOperation({ kind: 'http', description: `GET ${target}` }, async () => (await fetch(target)).text()) // ISSUE-HTTP
        res.end(body)
      }),
    )
    expect(await (await fetch(`${url}/proxy`)).text()).toBe('late')
    const [text] = await waitForReports(dir, 1)
    expect(text).toMatch(/\[http\] GET http:\/\/127\.0\.0\.1:\d+\/slow-upstream\?api_key=\[redacted\]/)
    expect(text).not.toContain('abc123')
    const line = markerLine(import.meta.url, 'ISSUE-HTTP')
    expect(text).toMatch(new RegExp(`\\n {6}at .*operations\\.test\\.ts:${line}:\\d+\\)?\\n`))
    const op = reports[0]?.waitingOn[0]
    expect(op?.kind).toBe('http')
    expect(op?.pendingMs).toBeGreaterThanOrEqual(250)
    expect(op?.stack.some((frame) => frame.includes(`operations.test.ts:${line}:`))).toBe(true)
  })

  it('writes one report per slow request among 50 concurrent ones, each with only its own URL and operations', async () => {
    const dir = tempDir()
    const dog = watchdog({ timerMs: 300, outputDir: dir, rateLimit: false })
    const url = await listen(
      dog.wrap(async (req, res) => {
        const n = new URL(req.url ?? '/', 'http://x').searchParams.get('n')
        await trackOperation({ kind: 'lock', description: `lock-for-request-${n}` }, () => new Promise((r) => setTimeout(r, 700)))
        res.end(n ?? '')
      }),
    )
    const agent = new http.Agent({ keepAlive: false, maxSockets: 100 })
    defer(() => agent.destroy())
    const get = (n: number) =>
      new Promise<string>((resolve, reject) => {
        http.get(`${url}/concurrent?n=${n}`, { agent }, (res) => {
          let body = ''
          res.on('data', (chunk) => {
            body += chunk
          })
          res.on('end', () => resolve(body))
        }).on('error', reject)
      })
    const bodies = await Promise.all(Array.from({ length: 50 }, (_, i) => get(i)))
    expect(bodies).toEqual(Array.from({ length: 50 }, (_, i) => String(i)))
    const texts = await waitForReports(dir, 50)
    expect(texts).toHaveLength(50)
    const seen = new Set<string>()
    for (const text of texts) {
      const n = /\/concurrent\?n=(\d+)\n/.exec(text)?.[1]
      expect(n).toBeDefined()
      seen.add(n as string)
      expect(text.match(/lock-for-request-\d+/g)).toEqual([`lock-for-request-${n}`])
      // The URL line and the follow-up line appended on completion: both this request's.
      expect(new Set(text.match(/\/concurrent\?n=\d+/g))).toEqual(new Set([`/concurrent?n=${n}`]))
    }
    expect(seen.size).toBe(50)
  })
})
