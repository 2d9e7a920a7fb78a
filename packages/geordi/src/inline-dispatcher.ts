import { hostname } from 'node:os'
import { reportDiagnostic } from '@intro/core'
import type { DispatchState, Dispatcher } from './dispatcher.js'
import type { GeordiJobData } from './job-data.js'
import type { ReplayTarget } from './replay.js'
import type { ResultStore } from './result-store.js'
import { runJob } from './run-job.js'

/**
 * Runs jobs in the web process: the request is sent back to this server over loopback and
 * profiled here. Needs no Redis, but the profile includes whatever else the process is doing
 * and the request runs inside the web pool: for development and single-process set-ups.
 * Jobs run one at a time, in order.
 */
export class InlineDispatcher implements Dispatcher {
  readonly mode = 'inline' as const
  readonly #store: ResultStore
  readonly #waiting = new Set<string>()
  #active: string | undefined
  #chain: Promise<unknown> = Promise.resolve()

  constructor(store: ResultStore) {
    this.#store = store
  }

  async dispatch(data: GeordiJobData, self: ReplayTarget): Promise<void> {
    this.#waiting.add(data.id)
    this.#chain = this.#chain.then(async () => {
      this.#waiting.delete(data.id)
      this.#active = data.id
      try {
        await runJob(data, { store: this.#store, target: self, workerHost: `${hostname()} (inline, pid ${process.pid})` })
      } catch (error) {
        reportDiagnostic({ level: 'error', scope: 'geordi.inline', message: 'job failed', error })
      } finally {
        this.#active = undefined
      }
    })
  }

  async state(id: string): Promise<DispatchState> {
    if (this.#active === id) return 'active'
    return this.#waiting.has(id) ? 'waiting' : 'gone'
  }

  async cancel(id: string): Promise<boolean> {
    this.#waiting.delete(id)
    return this.#active !== id
  }

  async close(): Promise<void> {
    await this.#chain
  }
}
