/** One admitted start request: the job it became, or nothing yet while its body is read. */
export interface JobSlot {
  /** Records the job's id, so the slot is freed once that job settles. */
  assign(id: string): void
  /** Frees the slot at once (the job was never created or could not be queued). */
  release(): void
}

/** Limits of {@link JobLimiter}. */
export interface JobLimits {
  perAdmin: number
  total: number
  /** True once the job no longer needs its slot (finished, failed, expired or unknown). */
  isSettled(id: string): Promise<boolean>
}

interface Entry {
  admin: string
  id?: string
}

/**
 * Bounds the jobs of this web process that have not settled yet, per admin and in all. Each job
 * holds a copy of its request (up to `maxBodyBytes` of body) in Redis or in memory until it
 * settles, so without a bound a few requests can fill both. Slots are taken before the body is
 * read, and freed when a look at the job's status shows it settled.
 */
export class JobLimiter {
  readonly #limits: JobLimits
  readonly #entries = new Set<Entry>()

  constructor(limits: JobLimits) {
    this.#limits = limits
  }

  /** A slot for `admin`, or `undefined` when the admin or the process is at its limit. */
  async reserve(admin: string): Promise<JobSlot | undefined> {
    await this.#forgetSettled()
    let mine = 0
    for (const entry of this.#entries) if (entry.admin === admin) mine++
    if (mine >= this.#limits.perAdmin || this.#entries.size >= this.#limits.total) return undefined
    const entry: Entry = { admin }
    this.#entries.add(entry)
    return {
      assign: (id) => {
        entry.id = id
      },
      release: () => {
        this.#entries.delete(entry)
      },
    }
  }

  async #forgetSettled(): Promise<void> {
    const assigned = [...this.#entries].filter((entry) => entry.id !== undefined)
    const settled = await Promise.all(assigned.map((entry) => this.#limits.isSettled(entry.id!).catch(() => false)))
    assigned.forEach((entry, i) => {
      if (settled[i]) this.#entries.delete(entry)
    })
  }
}
