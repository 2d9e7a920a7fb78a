import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('require(@intro/core) from CommonJS', () => {
  beforeAll(async () => {
    // The built output is what CommonJS apps load; build it from the current source.
    await run(process.execPath, [join(packageDir, '../../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: packageDir })
  }, 120_000)

  it('loads the built package and serves a request with a context', async () => {
    const { stdout, stderr } = await run(process.execPath, [join(packageDir, 'test/fixtures/require-core.cjs')], { cwd: packageDir, timeout: 30_000 })
    const result = JSON.parse(stdout) as { header: string; body: string; job: string; exports: number }
    expect(result.body).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.header).toBe(result.body)
    expect(result.job).toBe('cjs-job')
    expect(result.exports).toBeGreaterThan(20)
    expect(stderr).not.toMatch(/Error/)
  })
})
