import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOT_LOOP, pdfText, pdfToPngs, pngSize, recordProfile, removeDir, scratchDir } from './fixtures/render/profiles.js'

// The installed bin: built output, as `geordi-render` runs for users (global setup builds it).
const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js')

interface CliRun {
  code: number
  stdout: string
  stderr: string
}

function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

let dir: string
let profile: string

beforeAll(async () => {
  dir = scratchDir('cli')
  profile = await recordProfile(HOT_LOOP, join(dir, 'recorded'))
})

afterAll(() => removeDir(dir))

describe('geordi-render', () => {
  it('is an executable script', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true)
  })

  it('renders a node --cpu-prof profile to a PDF whose top function is the hot one', async () => {
    const outDir = join(dir, 'out')
    const result = await runCli([profile, '--out', outDir, '--title', 'Nightly checksum job', '--max-nodes', '30'])
    expect(result.code).toBe(0)
    const paths = result.stdout.trim().split('\n')
    expect(paths).toEqual(
      ['profile.pdf', 'profile.svg', 'profile.cpuprofile', 'profile.flame.svg', 'profile.speedscope.json', 'profile.pb.gz'].map((name) => join(outDir, name)),
    )
    for (const path of paths) expect(existsSync(path)).toBe(true)
    expect(readFileSync(paths[2]!)).toEqual(readFileSync(profile))
    const text = await pdfText(paths[0]!)
    expect(text).toContain('Nightly checksum job')
    const lines = text.split('\n')
    const header = lines.findIndex((line) => line.includes('Top functions by self time'))
    // The call graph beside the table may put a line of its own between the rows.
    expect(lines.slice(header + 2, header + 4).join('\n')).toContain('xyzzyHotChecksum')
    const pngs = await pdfToPngs(paths[0]!, outDir)
    expect(pngs).toHaveLength(1)
    expect(pngSize(pngs[0]!).width).toBeGreaterThan(600)
  })

  it('writes next to the profile by default without touching it', async () => {
    const before = readFileSync(profile)
    const result = await runCli([profile])
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')[0]).toBe(join(dir, 'recorded', 'profile.pdf'))
    expect(readFileSync(profile)).toEqual(before)
  })

  it('prints usage for --help', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('geordi-render <file.cpuprofile>')
  })

  it('exits 1 naming the file when it is missing or not a profile', async () => {
    const missing = join(dir, 'missing.cpuprofile')
    const absent = await runCli([missing])
    expect(absent.code).toBe(1)
    expect(absent.stderr).toContain(missing)
    const invalid = join(dir, 'invalid.cpuprofile')
    writeFileSync(invalid, '{"not":"a profile"}')
    const bad = await runCli([invalid])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('geordi-render:')
    expect(bad.stdout).toBe('')
  })

  it('exits 2 on bad arguments', async () => {
    expect((await runCli([])).code).toBe(2)
    expect((await runCli([profile, '--max-nodes', 'lots'])).code).toBe(2)
    expect((await runCli([profile, '--frobnicate'])).code).toBe(2)
    expect((await runCli([profile, profile])).code).toBe(2)
  })
})
