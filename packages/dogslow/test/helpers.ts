import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const cleanups: Array<() => Promise<void> | void> = []

/** Runs every registered cleanup (servers, watchdogs, directories), newest first. */
export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn()
}

/** Registers something to undo after the test. */
export function defer(fn: () => Promise<void> | void): void {
  cleanups.push(fn)
}

/** A fresh directory for report files, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dogslow-test-'))
  defer(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts a real node:http server on 127.0.0.1 and returns its base URL. */
export async function listen(handler: http.RequestListener | http.Server): Promise<string> {
  const server = handler instanceof http.Server ? handler : http.createServer(handler)
  server.keepAliveTimeout = 100
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Report files in `dir`, sorted (the names sort by time). */
export function reportFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.startsWith('slow_request_'))
      .sort()
  } catch {
    return []
  }
}

/** Polls until `dir` holds at least `count` report files; returns their contents. */
export async function waitForReports(dir: string, count: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  // A report file appears with its text (renamed into place); a native-code report is completed later.
  const written = () => reportFiles(dir).filter((name) => readFileSync(join(dir, name), 'utf8') !== '')
  while (reportFiles(dir).length < count || written().length < reportFiles(dir).length) {
    if (Date.now() > deadline) throw new Error(`expected ${count} written report files in ${dir}, found ${written().length}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return reportFiles(dir).map((name) => readFileSync(join(dir, name), 'utf8'))
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` until true. */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * 1-based line of the one line in `fileUrl` ending with the comment `// <marker>`, so a test can
 * assert the exact `file:line` a report names.
 */
export function markerLine(fileUrl: string, marker: string): number {
  const lines = readFileSync(new URL(fileUrl), 'utf8').split('\n')
  const found = lines.flatMap((line, i) => (line.trimEnd().endsWith(`// ${marker}`) ? [i + 1] : []))
  if (found.length !== 1) throw new Error(`expected one line marked ${marker}, found ${found.length}`)
  return found[0] as number
}
