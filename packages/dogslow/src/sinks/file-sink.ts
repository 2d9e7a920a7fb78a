import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileTimestamp, safeFileToken } from '../format.js'

/**
 * `slow_request_<UTC time>_<pid>_<request id>.log`, like the original's `slow_request_*.log`,
 * with a time prefix so a directory listing sorts by time.
 */
export function reportFileName(time: number, requestId: string, kind = 'slow_request'): string {
  return `${kind}_${fileTimestamp(time)}_${process.pid}_${safeFileToken(requestId)}.log`
}

/** Writes one report file, readable by its owner only; creates the directory when missing. */
export async function writeReportFile(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, name)
  await writeFile(path, text, { mode: 0o600, flag: 'wx' })
  return path
}

/** Appends the follow-up line to a report file written earlier. */
export async function appendToReportFile(path: string, text: string): Promise<void> {
  await appendFile(path, text, { mode: 0o600 })
}
