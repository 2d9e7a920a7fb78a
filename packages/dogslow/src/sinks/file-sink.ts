import { closeSync, constants, fstatSync, openSync, type Stats, writeSync } from 'node:fs'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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
 * Writes one report file, readable by its owner only; creates the directory when missing. The
 * file is created exclusively (`wx`): an existing file or symlink at its name is an error.
 */
export async function writeReportFile(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, name)
  await writeFile(path, text, { mode: 0o600, flag: 'wx' })
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
