import { lstatSync, mkdirSync, statSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { GeordiError, GeordiErrorCodes } from './errors.js'

/** The current user's id, or `undefined` where the platform has none (Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined
}

/**
 * The default results directory: one per user under the OS temp dir. A name shared by every user
 * (`/tmp/intro-geordi`) could be created first by another local user, who would then see job ids
 * and could swap job directories for symlinks.
 */
export function defaultOutDir(): string {
  const uid = currentUid()
  return join(tmpdir(), `intro-geordi-${uid ?? userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_')}`)
}

function refuse(dir: string, why: string): GeordiError {
  return new GeordiError(`refusing the results directory ${dir}: ${why}`, { code: GeordiErrorCodes.unsafeOutDir })
}

/**
 * Creates `dir` (0700) when missing, then checks that it is a directory of the current user that
 * no other user can write to, and that it is not a symlink someone else planted. Results hold
 * URLs and hot functions, and a writable directory lets another user redirect where they go.
 *
 * @throws GeordiError `ERR_GEORDI_UNSAFE_OUT_DIR`
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new GeordiError(`cannot create the results directory ${dir}: ${(error as Error).message}`, {
      code: GeordiErrorCodes.unsafeOutDir,
      cause: error,
    })
  }
  const uid = currentUid()
  if (uid === undefined) return
  try {
    checkOwnership(dir, uid)
  } catch (error) {
    if (error instanceof GeordiError) throw error
    throw new GeordiError(`cannot check the results directory ${dir}: ${(error as Error).message}`, {
      code: GeordiErrorCodes.unsafeOutDir,
      cause: error,
    })
  }
}

function checkOwnership(dir: string, uid: number): void {
  const link = lstatSync(dir)
  if (link.isSymbolicLink() && link.uid !== uid) throw refuse(dir, `it is a symlink owned by uid ${link.uid}`)
  const info = statSync(dir)
  if (!info.isDirectory()) throw refuse(dir, 'it is not a directory')
  if (info.uid !== uid) throw refuse(dir, `it is owned by uid ${info.uid}, not by this process (uid ${uid})`)
  if ((info.mode & 0o022) !== 0) throw refuse(dir, `other users may write to it (mode ${(info.mode & 0o777).toString(8)})`)
}
