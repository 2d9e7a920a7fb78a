/**
 * Minimal real Redis and Postgres servers for core's tests, until @intro/test-utils is published
 * in the workspace. Each server gets its own temp dir and a free port on 127.0.0.1.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface LocalServer {
  host: string
  port: number
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`)
}

function stopper(child: ChildProcess, dir: string, signal: NodeJS.Signals): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function startRedis(): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), 'intro-core-redis-'))
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  })
  await waitForPort(port, child, 15_000)
  return { host: '127.0.0.1', port, stop: stopper(child, dir, 'SIGTERM') }
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort()
  const latest = versions.at(-1)
  if (latest === undefined) throw new Error('postgresql is not installed')
  return join('/usr/lib/postgresql', latest, 'bin')
}

export async function startPostgres(): Promise<LocalServer & { user: string; database: string }> {
  const bin = postgresBin()
  const dir = mkdtempSync(join(tmpdir(), 'intro-core-pg-'))
  const asRoot = process.getuid?.() === 0
  const owner = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {}
  if ('uid' in owner && owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { stdio: 'ignore', ...owner })
  const port = await freePort()
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off'],
    { stdio: 'ignore', ...owner },
  )
  await waitForPort(port, child, 30_000)
  return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', stop: stopper(child, dir, 'SIGINT') }
}
