import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { rawRequest as sendRaw } from '@intro/test-utils'
import type { JobStatus } from '@intro/geordi'

export const FIXTURES = join(import.meta.dirname, 'fixtures')
export const EXPRESS_APP = join(FIXTURES, 'express-app.mjs')
export const ADMIN_COOKIE = 'session=admin-cookie-value'
export const ADMIN = { cookie: ADMIN_COOKIE }

export function tempDir(kind: string): string {
  return mkdtempSync(join(tmpdir(), `geordi-test-${kind}-`))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** A real worker process (test/fixtures/worker-process.mjs) running the package's built output. */
export interface WorkerProcess {
  host: string
  child: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** The built `geordi-worker` bin, run as `node dist/worker-cli.js` (global setup builds it). */
export const WORKER_BIN = join(import.meta.dirname, '..', 'dist', 'worker-cli.js')

/** Environment of the parent without geordi's and Redis's variables, so only the flags configure a worker. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(GEORDI_|REDIS_URL$|INTRO_DIAGNOSTICS$)/.test(name)) env[name] = value
  }
  return { ...env, ...extra }
}

/**
 * Starts the `geordi-worker` bin and resolves once it logs its ready line. Diagnostics stay on:
 * everything it prints is in `output()`.
 */
export async function startWorkerBin(args: string[], env: Record<string, string> = cleanEnv()): Promise<WorkerProcess & { readyLine: string }> {
  const child = spawn(process.execPath, [WORKER_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`geordi-worker did not start: ${output}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`geordi-worker exited with ${code}: ${output}`)))
    createInterface({ input: child.stderr! }).on('line', (line) => {
      output += `${line}\n`
      if (line.includes('geordi-worker ready:')) {
        clearTimeout(timer)
        resolve(line)
      }
    })
  })
  const host = /host (.+?), queue /.exec(readyLine)?.[1] ?? ''
  return { host, child, readyLine, output: () => output, stop: () => stopChild(child) }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

export async function startWorkerProcess(env: Record<string, string>, app = EXPRESS_APP): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(FIXTURES, 'worker-process.mjs'), app], {
    env: { ...process.env, ...env, INTRO_DIAGNOSTICS: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const host = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready ')) {
        clearTimeout(timer)
        resolve(line.slice('ready '.length))
      }
    })
  })
  return {
    host,
    child,
    output: () => output,
    stop: () => stopChild(child),
  }
}

/** Starts a request listener (or anything with `listen`) on 127.0.0.1 and returns its base URL. */
export async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function get(url: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } })
}

/** Starts profiling `url` as the admin and returns the job's page URL (from the 303). */
export async function startProfile(base: string, path: string, init: RequestInit = {}): Promise<{ pageUrl: string; id: string }> {
  const res = await get(`${base}${path}${path.includes('?') ? '&' : '?'}__geordi__`, ADMIN, init)
  if (res.status !== 303) throw new Error(`expected 303, got ${res.status}: ${await res.text()}`)
  const location = res.headers.get('location')!
  return { pageUrl: new URL(location, base).href, id: res.headers.get('x-geordi-job')! }
}

/** Polls `<id>.json` until the job is done or failed (bounded). */
export async function waitForJob(pageUrl: string, timeoutMs = 25_000): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await get(pageUrl.replace(/__geordi__=([^&]+)/, '__geordi__=$1.json'), ADMIN)
    const status = (await res.json()) as JobStatus
    if (status.state === 'done' || status.state === 'failed') return status
    if (Date.now() > deadline) throw new Error(`job still ${status.state} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** `pdftotext` of a PDF file. */
export function pdfText(path: string): string {
  return execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' })
}

export async function download(url: string, path: string): Promise<Response> {
  const res = await get(url, ADMIN)
  const { writeFileSync } = await import('node:fs')
  writeFileSync(path, Buffer.from(await res.arrayBuffer()))
  return res
}

/** A response read off a raw socket. */
export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Sends one request with `target` written as is on the request line (absolute-form targets,
 * `//host`, `/\host`, `</script>` in the query: things `fetch` would normalise or encode).
 */
export async function rawRequest(base: string, method: string, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(base)
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  const text = await sendRaw({ port: Number(port), text: `${lines.join('\r\n')}\r\n\r\n`, encoding: 'latin1' })
  const split = text.indexOf('\r\n\r\n')
  const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n')
  const parsed: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers: parsed, body: text.slice(split + 4) }
}
