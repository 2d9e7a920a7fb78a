import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsc = join(packageDir, '../../node_modules/typescript/bin/tsc')

describe('process exit', () => {
  beforeAll(async () => {
    // CommonJS apps load the built output; build it (and core's, if missing) from the source.
    if (!existsSync(join(packageDir, '../core/dist/index.js'))) await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: join(packageDir, '../core') })
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir })
  }, 120_000)

  it('exits on its own after timeouts, with no open handles and no debugger left attached', async () => {
    const start = Date.now()
    const { stdout, stderr } = await run(process.execPath, [join(packageDir, 'test/fixtures/exit.cjs')], { cwd: packageDir, timeout: 20_000 })
    const result = JSON.parse(stdout) as { results: boolean[]; resources: string[] }
    expect(result.results).toEqual([true, true, true, true])
    expect(result.resources.filter((name) => name !== 'TTYWrap' && name !== 'PipeWrap' && name !== 'Immediate')).toEqual([])
    expect(stderr).not.toMatch(/debugger/i)
    expect(Date.now() - start).toBeLessThan(10_000)
  })
})
