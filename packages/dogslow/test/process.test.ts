import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, reportFiles, tempDir } from './helpers.js'

afterEach(cleanup)

// These run the built package in a separate Node process (the test task builds first).
const entry = new URL('../dist/index.js', import.meta.url).href
const fixture = fileURLToPath(new URL('./fixtures/blocked-server.mjs', import.meta.url))

function run(env: Record<string, string>, execArgv: string[] = [], script = fixture): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, script], {
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
    const result = await run({ OUT: dir, CLOSE: '1', SUMMARY: '0' })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    onlyReport(dir)
  })

  it('says on stderr, one line per report, where the report went and what holds the request, unless silenced', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir, CLOSE: '1' })
    expect(result.code).toBe(0)
    const lines = result.stderr.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    const file = join(dir, reportFiles(dir)[0] as string)
    expect(lines[0]).toContain(`(GET http://127.0.0.1:`)
    expect(lines[0]).toContain(`report ${file}; Culprit: `)
    expect(lines[0]).toContain('blocked-server.mjs:')
    // The same culprit line the report file opens with.
    const culprit = lines[0]?.slice(lines[0].indexOf('Culprit: '))
    expect(onlyReport(dir)).toContain(culprit)
  })

  it('works with --inspect listening and with a debugger session attached', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir, ATTACH: '1' }, ['--inspect=127.0.0.1:0'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Debugger listening')
    expect(result.stderr).not.toContain('Waiting for the debugger')
    expect(onlyReport(dir)).toMatch(/BLOCKED[\s\S]*spins = \d+/)
  })

  it('with --enable-source-maps, names the original file and line of the blocked code', async () => {
    const dir = tempDir()
    // A "transpiled" app whose source map says every line comes from original.ts, 10 lines further down.
    const lines = [
      `const { createDogslow } = await import(${JSON.stringify(entry)})`,
      "const http = await import('node:http')",
      `const dog = createDogslow({ env: {}, timerMs: 200, outputDir: ${JSON.stringify(dir)} })`,
      'function spin(ms) {',
      '  const started = Date.now()',
      '  while (Date.now() - started < ms);',
      '}',
      'const server = http.createServer(dog.wrap((_req, res) => { spin(900); res.end() }))',
      "server.listen(0, '127.0.0.1', async () => {",
      "  await (await fetch('http://127.0.0.1:' + server.address().port + '/mapped', { headers: { connection: 'close' } })).text()",
      '  server.close()',
      '  await dog.close()',
      '})',
    ]
    const map = { version: 3, sources: ['original.ts'], names: [], mappings: ['AAUA', ...lines.slice(1).map(() => 'AACA')].join(';') }
    const app = join(dir, 'app.mjs')
    writeFileSync(app, `${lines.join('\n')}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`)
    const result = await run({ OUT: dir }, ['--enable-source-maps'], app)
    expect(result.code).toBe(0)
    const text = onlyReport(dir)
    const spinLine = lines.indexOf('  while (Date.now() - started < ms);') + 1
    expect(text).toMatch(/Event loop: BLOCKED for [\d.]+ m?s by this request's code/)
    // Node gives the original source as a path or a file URL, depending on its version.
    const original = [join(dir, 'original.ts'), pathToFileURL(join(dir, 'original.ts')).href]
    expect(original.map((file) => text.includes(`  spin (${file}:${spinLine + 10}:1)\n`))).toContain(true)
  })

  it('works in a cluster worker', async () => {
    const dir = tempDir()
    const result = await run({ OUT: dir, CLUSTER: '1' })
    expect(result.code).toBe(0)
    expect(onlyReport(dir)).toMatch(/\/in-cluster-worker\n[\s\S]*BLOCKED/)
  })
})
