import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { DogslowStats } from '../src/index.js'
import { cleanup, reportFiles, tempDir } from './helpers.js'

afterEach(cleanup)

// Run on the built package in a child with --expose-gc, so heap sizes are measured after full collections.
const entry = new URL('../dist/index.js', import.meta.url).href
const fixture = fileURLToPath(new URL('./fixtures/many-in-flight.mjs', import.meta.url))
const REQUESTS = 10_000
const MB = 1024 * 1024

interface Measured {
  before: number
  during: number
  after: number
  statsDuring?: DogslowStats
  statsAfter?: DogslowStats
  dump?: { listed: number; omitted: number; file?: string }
}

function measure(env: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', fixture], {
      env: { ...process.env, DOGSLOW_ENTRY: entry, INTRO_DIAGNOSTICS: '', REQUESTS: String(REQUESTS), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not finish; stderr: ${stderr}`))
    }, 90_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`child exited with ${code}; stderr: ${stderr}`))
      else resolve(JSON.parse(stdout) as Measured)
    })
  })
}

describe('createDogslow with 10,000 requests in flight (real HTTP, pipelined over 100 keep-alive connections)', () => {
  it('holds them in bounded memory, forgets them all once they end, and caps an on-demand dump', async () => {
    const dir = tempDir()
    const bare = await measure({ MODE: 'bare' })
    const watched = await measure({ MODE: 'dogslow', OUT: dir, MAX_DUMP: '50' })
    const bareGrowth = bare.during - bare.before
    const growth = watched.during - watched.before
    // The server's own requests and responses cost ~2 KB each; dogslow (with core's context) must
    // add at most as much again, and everything must be released when the requests end.
    expect(bareGrowth).toBeGreaterThan(5 * MB)
    expect(growth - bareGrowth).toBeLessThan(20 * MB)
    expect(growth).toBeLessThan(50 * MB)
    expect(watched.after - watched.before).toBeLessThan(5 * MB)
    expect(watched.statsDuring).toEqual({ watching: REQUESTS, reported: 0, deliveries: 0 })
    expect(watched.statsAfter).toEqual({ watching: 0, reported: 0, deliveries: 0 })
    expect(watched.dump).toMatchObject({ listed: 50, omitted: REQUESTS - 50 })
    const dump = readFileSync(watched.dump?.file ?? '', 'utf8')
    expect(dump).toContain(`Requests in flight at: `)
    expect(dump).toContain(`(${REQUESTS - 50} more requests not listed)`)
    expect(dump.match(/^Request in flight at: /gm)).toHaveLength(50)
    expect(dump).not.toMatch(/token=t-/)
    expect(statSync(watched.dump?.file ?? '').size).toBeLessThan(200 * 1024)
  })

  it('stays bounded when all 10,000 pass their deadline: the rate limit keeps 20 reports and frees the rest', async () => {
    const dir = tempDir()
    const due = await measure({ MODE: 'dogslow', OUT: dir, DUE: '1', MAX_DUMP: '50' })
    expect(due.during - due.before).toBeLessThan(50 * MB)
    expect(due.after - due.before).toBeLessThan(5 * MB)
    // The default rate limit (20 per minute) reported 20; the 9,980 suppressed are not held.
    expect(due.statsDuring).toEqual({ watching: 0, reported: 20, deliveries: 0 })
    expect(due.statsAfter).toEqual({ watching: 0, reported: 0, deliveries: 0 })
    expect(reportFiles(dir)).toHaveLength(20)
  })
})
