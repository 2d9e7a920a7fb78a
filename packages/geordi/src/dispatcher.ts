import type { GeordiJobData } from './job-data.js'
import type { ReplayTarget } from './replay.js'

/** Where a dispatched job is, as far as the transport knows. */
export type DispatchState = 'waiting' | 'active' | 'gone' | 'unknown'

/** Hands jobs to whatever runs them: BullMQ workers or the web process itself. */
export interface Dispatcher {
  readonly mode: 'inline' | 'queue'
  /** Resolves once the job is accepted; rejects with `ERR_GEORDI_QUEUE_UNAVAILABLE` when it cannot be. */
  dispatch(data: GeordiJobData, self: ReplayTarget): Promise<void>
  /** `gone` means the transport holds no job of that id any more (finished, removed, or never added). */
  state(id: string): Promise<DispatchState>
  /** Removes a job that no worker has taken yet; true when it is no longer queued. */
  cancel(id: string): Promise<boolean>
  close(): Promise<void>
}
