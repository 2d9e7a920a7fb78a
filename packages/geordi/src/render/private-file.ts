import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}`)
}

/**
 * Writes through a fresh temporary file in the same directory, created exclusively (`wx`, so
 * never through an existing name or symlink) with mode 0600, then renamed over `path`. A symlink
 * left at `path` is replaced, not followed, and readers never see half a file.
 */
async function replaceWith(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = temporaryName(path)
  try {
    await write(tmp)
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
}

/** Writes `data` to `path`, readable by its owner only (0600), without following a symlink there. */
export function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  return replaceWith(path, (tmp) => writeFile(tmp, data, { mode: 0o600, flag: 'wx' }))
}

/** Copies `source` to `path` like {@link writePrivateFile} (0600, no symlink followed at `path`). */
export function copyToPrivateFile(source: string, path: string): Promise<void> {
  return replaceWith(path, (tmp) => pipeline(createReadStream(source), createWriteStream(tmp, { mode: 0o600, flags: 'wx' })))
}
