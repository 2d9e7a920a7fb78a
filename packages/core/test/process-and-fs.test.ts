import { ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { open, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type Operation, enableIntegrations, isWrapped, onOperation, runWithContext } from '../src/index.js'

const stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops.splice(0).reverse()) stop()
})

const here = fileURLToPath(import.meta.url)
const only = { pg: false, mysql2: false, ioredis: false, fetch: false, http: false } as const

function recorder() {
  const started: Operation[] = []
  const ended: Operation[] = []
  stops.push(onOperation({ start: (op) => started.push(op), end: (op) => ended.push(op) }))
  return { started, ended }
}

function fifo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'intro-fifo-'))
  stops.push(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'pipe')
  execFileSync('mkfifo', [path])
  return path
}

describe('enableIntegrations: child processes', () => {
  it('records a child as a process operation of its request, from the app line, until it closes', async () => {
    const { started, ended } = recorder()
    stops.push(enableIntegrations(only))
    const code = await runWithContext({ name: 'job' }, () => new Promise((resolve) => spawn('sleep', ['0.2', '0.01']).on('close', resolve)))
    expect(code).toBe(0)
    const op = ended.find((o) => o.kind === 'process')
    expect(op).toMatchObject({ description: 'sleep …', attributes: { command: 'sleep' } })
    expect(op?.context?.name).toBe('job')
    expect(op?.elapsedMs()).toBeGreaterThanOrEqual(150)
    expect(op?.stack).toContain(here)
    expect(started.filter((o) => o.kind === 'process')).toHaveLength(1)
  })

  it('leaves a failed spawn to the app: its error event reaches the app, and the operation ends', async () => {
    const { ended } = recorder()
    stops.push(enableIntegrations(only))
    const error = await runWithContext(
      { name: 'job' },
      () => new Promise<NodeJS.ErrnoException>((resolve) => spawn('intro-no-such-command').on('error', resolve)),
    )
    expect(error.code).toBe('ENOENT')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(ended.filter((o) => o.kind === 'process').map((o) => o.description)).toEqual(['intro-no-such-command'])
  })

  it('patches nothing when switched off, and restores spawn after the last consumer', () => {
    // Node's typings leave the prototype's spawn out; every async child process goes through it.
    const proto = ChildProcess.prototype as unknown as { spawn: unknown }
    const original = proto.spawn
    stops.push(enableIntegrations({ ...only, childProcess: false, fs: false }))
    expect(proto.spawn).toBe(original)
    const stop = enableIntegrations(only)
    expect(isWrapped(proto.spawn)).toBe(true)
    stop()
    expect(proto.spawn).toBe(original)
  })
})

describe('enableIntegrations: file reads', () => {
  it('records fs.promises.readFile on a FIFO until a writer sends its data, only inside a request', async () => {
    const { ended } = recorder()
    stops.push(enableIntegrations(only))
    const path = fifo()
    const reading = runWithContext({ name: 'job' }, () => readFile(path, 'utf8'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(ended.filter((o) => o.kind === 'fs')).toEqual([])
    await writeFile(path, 'data')
    expect(await reading).toBe('data')
    await readFile(here, 'utf8')
    const fsOps = ended.filter((o) => o.kind === 'fs')
    expect(fsOps.map((o) => o.description)).toEqual([`read ${path}`])
    expect(fsOps[0]?.stack).toContain(here)
  })

  it('records open() and a FileHandle read() each until it settles, and a rejected read stays the app’s', async () => {
    const { ended } = recorder()
    stops.push(enableIntegrations(only))
    await runWithContext({ name: 'job' }, async () => {
      const handle = await open(here)
      try {
        await handle.read(Buffer.alloc(16), 0, 16)
      } finally {
        await handle.close()
      }
      await expect(open(join(tmpdir(), 'intro-no-such-file'))).rejects.toMatchObject({ code: 'ENOENT' })
    })
    expect(ended.filter((o) => o.kind === 'fs').map((o) => o.description)).toEqual([
      `open ${here}`,
      expect.stringMatching(/^read fd \d+$/),
      `open ${join(tmpdir(), 'intro-no-such-file')}`,
    ])
  })
})
