import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const PACKAGE_DIR = join(import.meta.dirname, '..')
// Logs every module the child resolves, ESM and CommonJS alike, from the loader hooks thread.
const HOOKS = join(import.meta.dirname, 'fixtures', 'log-module-loads.mjs')
const RENDERER = /[\\/]node_modules[\\/](pdfkit|fontkit|svg-to-pdfkit|@hpcc-js[\\/]wasm-graphviz)[\\/]/

/** Runs `code` as an ES module in a fresh Node process; returns the modules it loaded. */
function modulesLoadedBy(code: string): string[] {
  const output = execFileSync(process.execPath, ['--import', HOOKS, '--input-type=module', '-e', code], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
    env: { ...process.env, INTRO_DIAGNOSTICS: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return output.split('\n').filter((line) => line.startsWith('loaded ')).map((line) => line.slice('loaded '.length))
}

// The child reports the CommonJS cache too: pdfkit is CommonJS, fontkit is loaded through it.
const PRINT_CJS_CACHE = `
import { createRequire } from 'node:module'
for (const path of Object.keys(createRequire(import.meta.url).cache)) console.log('loaded ' + path)`

describe('the web entry point does not load the renderer (nor bullmq)', () => {
  it("loads neither pdfkit, fontkit nor Graphviz for `import { createGeordi } from '@intro/geordi'` and an Express app with the middleware", () => {
    const loaded = modulesLoadedBy(`
import express from 'express'
import { createGeordi } from '@intro/geordi'
const app = express()
app.use(createGeordi({ authorize: () => true, env: {} }).express())
${PRINT_CJS_CACHE}`)
    expect(loaded.some((path) => path.includes('express'))).toBe(true)
    expect(loaded.some((path) => /[\\/]geordi[\\/]dist[\\/]index\.js$/.test(path))).toBe(true)
    expect(loaded.filter((path) => RENDERER.test(path))).toEqual([])
    // bullmq too waits for the first geordi request (queue mode).
    expect(loaded.filter((path) => /[\\/]node_modules[\\/]bullmq[\\/]/.test(path))).toEqual([])
  })

  it('loads them for @intro/geordi/render (the check sees them when they are there)', () => {
    const loaded = modulesLoadedBy(`import '@intro/geordi/render'\n${PRINT_CJS_CACHE}`)
    expect(loaded.some((path) => /[\\/]node_modules[\\/]pdfkit[\\/]/.test(path))).toBe(true)
    expect(loaded.some((path) => /wasm-graphviz/.test(path))).toBe(true)
  })

  it('renders on a thread of its own: after an inline job wrote its PDF, the web thread has still not loaded pdfkit or fontkit', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'geordi-render-thread-'))
    try {
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', `
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import express from 'express'
import { createGeordi } from '@intro/geordi'
const geordi = createGeordi({ authorize: () => true, env: {}, outDir: process.env.OUT_DIR })
const app = express()
app.use(geordi.express())
app.get('/work', (req, res) => res.send(String(Array.from({ length: 200000 }, (_, i) => i).reduce((a, b) => a + b))))
const server = createServer(app).listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const base = 'http://127.0.0.1:' + server.address().port
const location = (await fetch(base + '/work?__geordi__', { redirect: 'manual' })).headers.get('location')
let status
for (let i = 0; i < 600 && status?.state !== 'done' && status?.state !== 'failed'; i++) {
  await new Promise((resolve) => setTimeout(resolve, 50))
  status = await (await fetch(base + location + '.json')).json()
}
console.log('state ' + status.state)
for (const path of Object.keys(createRequire(import.meta.url).cache)) console.log('cached ' + path)
process.exit(0)`], { cwd: PACKAGE_DIR, encoding: 'utf8', env: { ...process.env, INTRO_DIAGNOSTICS: 'silent', OUT_DIR: outDir }, stdio: ['ignore', 'pipe', 'pipe'] })
      expect(output).toContain('state done')
      const cached = output.split('\n').filter((line) => line.startsWith('cached '))
      expect(cached.some((line) => line.includes('express'))).toBe(true)
      expect(cached.filter((line) => RENDERER.test(line))).toEqual([])
    } finally {
      rmSync(outDir, { recursive: true, force: true })
    }
  })
})
