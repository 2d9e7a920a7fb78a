import type { Dispatcher } from './dispatcher.js'
import { GeordiErrorCodes } from './errors.js'
import { isFinal, type ResultStore } from './result-store.js'
import type { JobStatus } from './types.js'

// A job just added can read as missing for a moment (status written first, then queued).
const GONE_GRACE_MS = 2000
// Slack on top of the limits before the web side calls a silent worker lost.
const DEADLINE_SLACK_MS = 5000

async function fail(store: ResultStore, id: string, code: string, message: string): Promise<JobStatus | undefined> {
  return store.update(id, () => ({ state: 'failed', stage: undefined, finishedAt: Date.now(), error: { code, message } }))
}

/**
 * Brings a job's status up to date from the web side, so a page never waits forever: a job no
 * worker took within `queueTimeoutMs` is removed from the queue and failed; a job that the
 * transport no longer holds while its status is not final, or that outlived its limits, failed
 * with its worker (crash, kill, or a blocked event loop).
 */
export async function watchJob(status: JobStatus, dispatcher: Dispatcher, store: ResultStore, now = Date.now()): Promise<JobStatus> {
  if (isFinal(status)) return status
  const { id, limits } = status
  if (status.state === 'queued') {
    if (now - status.createdAt > limits.queueTimeoutMs && (await dispatcher.cancel(id))) {
      const seconds = Math.round(limits.queueTimeoutMs / 1000)
      return (await fail(store, id, GeordiErrorCodes.queueTimeout, `no worker picked the job up within ${seconds} s`)) ?? status
    }
  } else {
    const deadline = (status.startedAt ?? status.createdAt) + limits.timeLimitMs + limits.renderTimeoutMs + DEADLINE_SLACK_MS
    if (now > deadline) {
      return (
        (await fail(store, id, GeordiErrorCodes.timeLimit, `the job outran its time limit (${limits.timeLimitMs} ms) and its worker went silent`)) ??
        status
      )
    }
  }
  if (now - status.createdAt < GONE_GRACE_MS) return status
  if ((await dispatcher.state(id)) !== 'gone') return status
  // The worker writes the final status before it releases the job: read again before judging.
  const fresh = await store.read(id)
  if (fresh === undefined || isFinal(fresh)) return fresh ?? status
  return (
    (await fail(store, id, GeordiErrorCodes.workerLost, 'the worker stopped while it held the job (crashed, killed or lost its lock)')) ??
    status
  )
}
