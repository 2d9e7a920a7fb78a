import { IntroError } from '@intro/core'

/** Error codes of @intro/geordi; shown on error pages and in `status.json` as `error.code`. */
export const GeordiErrorCodes = {
  /** Redis could not be reached, or the job could not be added in time. */
  queueUnavailable: 'ERR_GEORDI_QUEUE_UNAVAILABLE',
  /** No worker picked the job up within `queueTimeoutMs`. */
  queueTimeout: 'ERR_GEORDI_QUEUE_TIMEOUT',
  /** The replayed request did not finish within `timeLimitMs`. */
  timeLimit: 'ERR_GEORDI_TIME_LIMIT',
  /** The worker process stopped (crashed, was killed, or lost its lock) while it held the job. */
  workerLost: 'ERR_GEORDI_WORKER_LOST',
  /** The worker was stopped (SIGTERM/SIGINT) and the job did not finish within the shutdown grace period. */
  workerStopped: 'ERR_GEORDI_WORKER_STOPPED',
  /** An adapter of another framework than the `framework` option was asked for. */
  frameworkMismatch: 'ERR_GEORDI_FRAMEWORK_MISMATCH',
  /** The app threw an uncaught exception (or rejected a promise nobody handled) during the replay. */
  appCrashed: 'ERR_GEORDI_APP_CRASHED',
  /** The replayed request failed at the HTTP level (connection refused, reset, malformed response). */
  replayFailed: 'ERR_GEORDI_REPLAY_FAILED',
  /** The call graph or the PDF could not be rendered. */
  renderFailed: 'ERR_GEORDI_RENDER_FAILED',
  /** The request body is larger than `maxBodyBytes`. */
  bodyTooLarge: 'ERR_GEORDI_BODY_TOO_LARGE',
  /** The worker could not find a request listener, Express/Koa app or Fastify instance in the app module. */
  appExport: 'ERR_GEORDI_APP_EXPORT',
  /** The job payload was not one this version understands. */
  badJob: 'ERR_GEORDI_BAD_JOB',
  /** `outDir` is not a directory owned by this user, or other users may write to it. */
  unsafeOutDir: 'ERR_GEORDI_UNSAFE_OUT_DIR',
  /** Too many jobs of this admin, or of this web process, are not finished yet (429). */
  tooManyJobs: 'ERR_GEORDI_TOO_MANY_JOBS',
  /** Profiling was started from another site (`Sec-Fetch-Site`/`Origin`), so it is refused (403). */
  crossSite: 'ERR_GEORDI_CROSS_SITE',
  /** A method other than GET/HEAD while `replayUnsafeMethods` is off (405). */
  methodNotAllowed: 'ERR_GEORDI_METHOD_NOT_ALLOWED',
} as const

/** One of {@link GeordiErrorCodes}. */
export type GeordiErrorCode = (typeof GeordiErrorCodes)[keyof typeof GeordiErrorCodes]

/** Failure of a profiling job or of the worker's set-up; `code` is one of {@link GeordiErrorCodes}. */
export class GeordiError extends IntroError {
  override name = 'GeordiError'
  declare readonly code: GeordiErrorCode

  constructor(message: string, options: { code: GeordiErrorCode; cause?: unknown }) {
    super(message, options)
  }
}

/** The `{ code, message }` kept in `status.json` for a failure, whatever was thrown. */
export function describeFailure(error: unknown, fallback: GeordiErrorCode): { code: string; message: string } {
  if (error instanceof GeordiError) return { code: error.code, message: error.message }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return { code: fallback, message }
}
