import { closeSync, constants, fstatSync, openSync, type Stats, writeSync } from 'node:fs'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileTimestamp, safeFileToken } from '../format.js'

// The output directory may be writable by others (the default is the OS temp dir): between the
// report and its follow-up, someone could put a symlink or another file at the report's name.
// Appends therefore never follow a link and never create a file.
const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW

/**
 * `slow_request_<UTC time>_<pid>_<request id>.log`, like the original's `slow_request_*.log`,
 * with a time prefix so a directory listing sorts by time.
 */
export function reportFileName(time: number, requestId: string, kind = 'slow_request'): string {
  return `${kind}_${fileTimestamp(time)}_${process.pid}_${safeFileToken(requestId)}.log`
}

/**
 * A fresh name beside `path` for the file's text while it is written: dot-prefixed, so listings
 * of `slow_request_*` never show it.
 */
export function temporaryReportPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}`)
}

/**
 * Writes one report file, readable by its owner only; creates the directory when missing. The
 * text goes to a temporary file created exclusively (`wx`, 0600: never through an existing name
 * or symlink), which is then renamed into place, so a reader never sees an empty or half-written
 * report; a symlink left at the report's name is replaced, not followed. The follow-up line is
 * appended to the final file later.
 */
export async function writeReportFile(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, name)
  const tmp = temporaryReportPath(path)
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
  return path
}

/** Refuses a file that is not the report this process wrote: a regular file of ours, with no other name. */
function assertOwnReport(path: string, info: Stats): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  if (!info.isFile() || info.nlink !== 1 || (uid !== undefined && info.uid !== uid)) {
    throw new Error(`${path} is no longer the report file dogslow wrote; not appending to it`)
  }
}

/** Appends the follow-up line to a report file written earlier, never through a symlink. */
export async function appendToReportFile(path: string, text: string): Promise<void> {
  const handle = await open(path, APPEND_NO_FOLLOW)
  try {
    assertOwnReport(path, await handle.stat())
    await handle.write(text)
  } finally {
    await handle.close()
  }
}

/** {@link appendToReportFile}, synchronously (right after the event loop was freed). */
export function appendToReportFileSync(path: string, text: string): void {
  const fd = openSync(path, APPEND_NO_FOLLOW)
  try {
    assertOwnReport(path, fstatSync(fd))
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}
