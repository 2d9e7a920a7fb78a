import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, reportFiles, tempDir } from './helpers.js'

afterEach(cleanup)

// These run the built package in a separate Node process (the test task builds first).
const entry = new URL('../dist/index.js', import.meta.url).href
const fixture = fileURLToPath(new URL('./fixtures/blocked-server.mjs', import.meta.url))

function run(env: Record<string, string>, execArgv: string[] = []): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, fixture], {
      env: { ...process.env, DOGSLOW_ENTRY: entry, INTRO_DIAGNOSTICS: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit by itself; stderr: ${stderr}`))
    }, 15_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, ms: Date.now() - started })
    })
  })
}

function onlyReport(dir: string): string {
  const files = reportFiles(dir)
  expect(files).toHaveLength(1)
  return readFileSync(join(dir, files[0] as string), 'utf8')
}

describe('createDogslow in a real process', () => {
  it('lets the process exit on its own, without "Waiting for the debugger to disconnect"', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir })
    expect(result.code).toBe(0)
    expect(result.stderr).not.toContain('Waiting for the debugger')
    expect(onlyReport(dir)).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/child\n[\s\S]*spins = \d+/)
  })

  it('closes cleanly with close()', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir, CLOSE: '1' })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    onlyReport(dir)
  })

  it('works with --inspect listening and with a debugger session attached', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir, ATTACH: '1' }, ['--inspect=127.0.0.1:0'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Debugger listening')
    expect(result.stderr).not.toContain('Waiting for the debugger')
    expect(onlyReport(dir)).toMatch(/BLOCKED[\s\S]*spins = \d+/)
  })

  it('works in a cluster worker', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir, CLUSTER: '1' })
    expect(result.code).toBe(0)
    expect(onlyReport(dir)).toMatch(/\/in-cluster-worker\n[\s\S]*BLOCKED/)
  })
})
