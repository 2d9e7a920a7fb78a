import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import { beforeAll, describe, expect, it } from 'vitest'

// These run the built package (in child processes and a worker thread, which cannot load the
// TypeScript source): one file, one build, so no test reads dist while another rewrites it.
const run = promisify(execFile)
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const fixtures = join(packageDir, 'test/fixtures')
const tsc = join(packageDir, '../../node_modules/typescript/bin/tsc')

beforeAll(async () => {
  if (!existsSync(join(packageDir, '../core/dist/index.js'))) await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: join(packageDir, '../core') })
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir })
}, 120_000)

interface Timed {
  ms: number
  errorClass: string | undefined
}
interface Checks {
  mode: string
  regex: Timed
  loop: Timed
  nested: Timed
  asyncResult: boolean
  after: number
}

// Deadlines of 100 ms (80 for the nested outer one): preempted at or after the deadline and
// within a margin a loaded 2-core machine still meets.
function expectPreempted(checks: Checks): void {
  expect(checks.mode).toBe('inspector')
  for (const timed of [checks.regex, checks.loop]) {
    expect(timed.errorClass).toBe('RuntimeError')
    expect(timed.ms).toBeGreaterThanOrEqual(100)
    expect(timed.ms).toBeLessThan(500)
  }
  expect(checks.nested.errorClass).toBe('OuterError')
  expect(checks.nested.ms).toBeGreaterThanOrEqual(80)
  expect(checks.nested.ms).toBeLessThan(480)
  expect(checks.asyncResult).toBe(true)
  expect(checks.after).toBe(42)
}

interface Child {
  stdout: string
  stderr: string
  code: number | null
}

function runChild(args: string[], env: Record<string, string>, onStderr?: (text: string) => void, limitMs = 20_000): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: packageDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      onStderr?.(stderr)
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit by itself; stderr: ${stderr}`))
    }, limitMs)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ stdout, stderr, code })
    })
  })
}

describe('process exit', () => {
  it('exits on its own after timeouts, with no open handles and no debugger left attached', async () => {
    const start = Date.now()
    const { stdout, stderr } = await run(process.execPath, [join(fixtures, 'exit.cjs')], { cwd: packageDir, timeout: 20_000 })
    const result = JSON.parse(stdout) as { results: boolean[]; resources: string[] }
    expect(result.results).toEqual([true, true, true, true])
    expect(result.resources.filter((name) => name !== 'TTYWrap' && name !== 'PipeWrap' && name !== 'Immediate')).toEqual([])
    expect(stderr).not.toMatch(/debugger/i)
    expect(Date.now() - start).toBeLessThan(10_000)
  })
})

describe('process health', () => {
  // In a child started with --expose-gc, so that heap use is measured after full collections.
  it('keeps heap, threads and handles flat over 100,000 calls including 1,500 timeouts', async () => {
    const child = await runChild(['--expose-gc', join(fixtures, 'flat.mjs')], {}, undefined, 110_000)
    expect(child.stderr).toBe('')
    expect(child.code).toBe(0)
    const { timeouts, before, after } = JSON.parse(child.stdout) as {
      timeouts: number
      before: { heap: number; threads: number; handles: number }
      after: { heap: number; threads: number; handles: number }
    }
    expect(timeouts).toBe(1_500)
    // 2 MiB over 100,000 calls: a leak of ~20 bytes per call fails this.
    expect(after.heap - before.heap).toBeLessThan(2 * 1024 * 1024)
    expect(after.threads).toBe(before.threads)
    expect(after.handles).toBeLessThanOrEqual(before.handles)
  }, 120_000)
})

describe('with --inspect', () => {
  it('preempts with the caller’s error while the inspector listens', async () => {
    const child = await runChild(['--inspect=127.0.0.1:0', join(fixtures, 'inspect.mjs')], {})
    expect(child.code).toBe(0)
    expect(child.stderr).toContain('Debugger listening')
    const checks = JSON.parse(child.stdout) as Checks & { url: string | null }
    expect(checks.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
    expectPreempted(checks)
  })

  it('preempts with the caller’s error while a debugger client is attached with the Debugger domain enabled', async () => {
    let client: Promise<Child> | undefined
    const target = await runChild(['--inspect=127.0.0.1:0', join(fixtures, 'inspect.mjs')], { WAIT_FOR_DEBUGGER: '1' }, (stderr) => {
      const url = /ws:\/\/\S+/.exec(stderr)?.[0]
      if (url !== undefined && client === undefined) client = runChild(['--experimental-websocket', join(fixtures, 'debugger-client.mjs'), url], {})
    })
    expect(client).toBeDefined()
    expect((await client)?.code).toBe(0)
    expect(target.code).toBe(0)
    expect(target.stderr).toContain('Debugger attached')
    expectPreempted(JSON.parse(target.stdout) as Checks)
  })
})

describe('in a worker thread', () => {
  it('preempts inside the worker with the caller’s error while the main thread runs on', async () => {
    let ticks = 0
    const interval = setInterval(() => ticks++, 10)
    try {
      // Without the test runner's flags, which point the package at its TypeScript source.
      const worker = new Worker(join(fixtures, 'worker-checks.mjs'), { execArgv: [] })
      const checks = await new Promise<Checks>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
        worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before reporting`)))
      })
      await worker.terminate()
      expectPreempted(checks)
      // The worker spent > 280 ms preempted in its own thread; the main loop was not blocked.
      expect(ticks).toBeGreaterThan(10)
    } finally {
      clearInterval(interval)
    }
  })
})
