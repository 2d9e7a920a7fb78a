import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Every file under `dir`, recursively, sorted by path. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const files: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...listFiles(path))
    else if (entry.isFile()) files.push(path)
  }
  return files.sort()
}

export function readText(path: string | undefined): string {
  if (path === undefined || !existsSync(path)) return ''
  return readFileSync(path, 'utf8')
}

export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0
}

/** Parses a JSON-lines file, skipping lines that are not JSON. */
export function readJsonLines<T>(path: string | undefined): T[] {
  const rows: T[] = []
  for (const line of readText(path).split('\n')) {
    if (line.trim() === '') continue
    try {
      rows.push(JSON.parse(line) as T)
    } catch {
      // A line cut short by a process stopping mid-write: not worth failing the summary for.
    }
  }
  return rows
}

/** Polls `check` every 100 ms until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined || Date.now() >= deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
