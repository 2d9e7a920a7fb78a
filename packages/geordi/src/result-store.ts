import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs'
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ReadStream } from 'node:fs'
import { ensurePrivateDir } from './private-dir.js'
import { isResultId } from './result-id.js'
import { type JobStatus, ResultFiles, type ResultFileKind } from './types.js'

const STATUS_FILE = 'status.json'
// Result files are opened without following a symlink at their name: whatever sits in a job
// directory, geordi never reads or writes through a link.
const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW
const REWRITE_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW
const FINAL_STATES = new Set(['done', 'failed'])
// Status files read at once when listing recent results.
const READ_BATCH = 32

/** True for `done` and `failed`. */
export function isFinal(status: Pick<JobStatus, 'state'>): boolean {
  return FINAL_STATES.has(status.state)
}

/**
 * Results on disk: `<outDir>/<id>/status.json` plus the renderer's files. Every web process and
 * worker that shares `outDir` sees the same results, so any of them can serve a result page.
 * The root must belong to the current user and be writable by nobody else (checked on first use);
 * job directories are 0700 and every file 0600: results name URLs and hot functions.
 */
export class ResultStore {
  readonly root: string
  readonly #pending = new Map<string, Promise<unknown>>()
  #verified = false

  constructor(root: string) {
    this.root = root
  }

  /**
   * Creates the root when missing and refuses one another user owns or may write to. Checked
   * once: a directory that passed cannot be taken over later by another user.
   *
   * @throws GeordiError `ERR_GEORDI_UNSAFE_OUT_DIR`
   */
  verify(): void {
    if (this.#verified) return
    ensurePrivateDir(this.root)
    this.#verified = true
  }

  /** The directory of one job; the id must have been validated. */
  dir(id: string): string {
    if (!isResultId(id)) throw new RangeError(`Expected a geordi result id, got ${JSON.stringify(id)}`)
    return join(this.root, id)
  }

  /** Creates the job's directory (it must not exist yet) and its first `status.json`. */
  async create(status: JobStatus): Promise<void> {
    this.verify()
    await mkdir(this.dir(status.id), { mode: 0o700 })
    await this.write(status)
  }

  /**
   * Replaces `status.json` atomically (write + rename), so readers never see half a file. The
   * temporary file is created exclusively (never through an existing name or link).
   */
  async write(status: JobStatus): Promise<void> {
    const dir = this.dir(status.id)
    const tmp = join(dir, `.${STATUS_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}`)
    await writeFile(tmp, JSON.stringify(status, null, 2), { mode: 0o600, flag: 'wx' })
    await rename(tmp, join(dir, STATUS_FILE))
  }

  /** Synchronous write for `process.on('exit')`, where nothing asynchronous runs any more. */
  writeSync(status: JobStatus): void {
    const fd = openSync(join(this.dir(status.id), STATUS_FILE), REWRITE_NO_FOLLOW, 0o600)
    try {
      writeSync(fd, JSON.stringify(status, null, 2))
    } finally {
      closeSync(fd)
    }
  }

  /** Synchronous read for `process.on('exit')`; no expiry handling. */
  readSync(id: string): JobStatus | undefined {
    try {
      const fd = openSync(join(this.dir(id), STATUS_FILE), READ_NO_FOLLOW)
      try {
        return JSON.parse(readFileSync(fd, 'utf8')) as JobStatus
      } finally {
        closeSync(fd)
      }
    } catch {
      return undefined
    }
  }

  /** The job's status; `undefined` for an unknown id, an unreadable file or an expired result. */
  async read(id: string, now = Date.now()): Promise<JobStatus | undefined> {
    if (!isResultId(id)) return undefined
    this.verify()
    let status: JobStatus
    try {
      status = JSON.parse(await readFile(join(this.root, id, STATUS_FILE), { encoding: 'utf8', flag: READ_NO_FOLLOW })) as JobStatus
    } catch {
      return undefined
    }
    if (status.id !== id) return undefined
    if (status.expiresAt <= now) {
      await this.remove(id)
      return undefined
    }
    return status
  }

  /**
   * Reads, changes and writes the status unless it is already final; returns what was written.
   * Updates of one id from this process run one after another, so a late progress update can
   * never overwrite the final state.
   */
  update(id: string, change: (status: JobStatus) => Partial<JobStatus>): Promise<JobStatus | undefined> {
    const previous = this.#pending.get(id) ?? Promise.resolve()
    const next = previous.then(async () => {
      const current = await this.read(id)
      if (current === undefined || isFinal(current)) return current
      const updated: JobStatus = { ...current, ...change(current), updatedAt: Date.now() }
      await this.write(updated)
      return updated
    })
    const settled = next.catch(() => undefined)
    this.#pending.set(id, settled)
    void settled.then(() => {
      if (this.#pending.get(id) === settled) this.#pending.delete(id)
    })
    return next
  }

  filePath(id: string, kind: ResultFileKind): string {
    return join(this.dir(id), ResultFiles[kind])
  }

  /** A stream of one result file and its size, or `undefined` when it does not exist. */
  async openFile(id: string, kind: ResultFileKind): Promise<{ stream: ReadStream; size: number } | undefined> {
    this.verify()
    const handle = await open(this.filePath(id, kind), READ_NO_FOLLOW).catch(() => undefined)
    if (handle === undefined) return undefined
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw new Error('not a regular file')
      return { stream: handle.createReadStream(), size: info.size }
    } catch {
      await handle.close()
      return undefined
    }
  }

  /**
   * The newest `limit` results, newest first (expired ones are left out and removed). Every job
   * directory's status is read, a few at a time: the results directory holds at most
   * `resultTtlMs` worth of jobs.
   */
  async recent(limit: number, now = Date.now()): Promise<JobStatus[]> {
    this.verify()
    const ids = (await readdir(this.root).catch(() => [] as string[])).filter(isResultId)
    const statuses: JobStatus[] = []
    for (let at = 0; at < ids.length; at += READ_BATCH) {
      const batch = await Promise.all(ids.slice(at, at + READ_BATCH).map((id) => this.read(id, now).catch(() => undefined)))
      for (const status of batch) if (status !== undefined) statuses.push(status)
    }
    return statuses.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit)
  }

  /** Bytes on disk of a job's result files (every kind in ResultFiles); symlinks are not followed. */
  async filesSize(id: string): Promise<number> {
    const sizes = await Promise.all(
      (Object.keys(ResultFiles) as ResultFileKind[]).map((kind) =>
        lstat(this.filePath(id, kind)).then(
          (info) => (info.isFile() ? info.size : 0),
          () => 0,
        ),
      ),
    )
    return sizes.reduce((sum, size) => sum + size, 0)
  }

  /** A small result file as text (the flame graph the result page inlines), or `undefined`. */
  async readText(id: string, kind: ResultFileKind): Promise<string | undefined> {
    this.verify()
    try {
      return await readFile(this.filePath(id, kind), { encoding: 'utf8', flag: READ_NO_FOLLOW })
    } catch {
      return undefined
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true })
  }

  /** Deletes every expired result; returns how many. Bounded by `limit` per call. */
  async sweep(now = Date.now(), limit = 200): Promise<number> {
    this.verify()
    let names: string[]
    try {
      names = await readdir(this.root)
    } catch {
      return 0
    }
    let removed = 0
    for (const name of names) {
      if (removed >= limit) break
      if (!isResultId(name)) continue
      try {
        const status = JSON.parse(await readFile(join(this.root, name, STATUS_FILE), { encoding: 'utf8', flag: READ_NO_FOLLOW })) as JobStatus
        if (status.expiresAt > now) continue
      } catch {
        // A directory without a readable status: remove it once it is older than a day.
        const info = await stat(join(this.root, name)).catch(() => undefined)
        if (info !== undefined && now - info.mtimeMs < 86_400_000) continue
      }
      await this.remove(name)
      removed++
    }
    return removed
  }
}
