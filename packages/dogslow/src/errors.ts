import { IntroError } from '@intro/core'

/** Codes of the errors dogslow reports to diagnostics (as `error.code`). */
export const DogslowErrorCode = {
  /** A sink (file, email, logger, callback) failed to deliver a report. */
  sinkFailed: 'ERR_INTRO_DOGSLOW_SINK',
  /** The inspector could not read the blocked thread's stack. */
  inspectorUnavailable: 'ERR_INTRO_DOGSLOW_INSPECTOR',
  /** The watchdog thread failed or exited. */
  monitorFailed: 'ERR_INTRO_DOGSLOW_MONITOR',
} as const

/** A failure inside dogslow itself; never thrown into the app, only reported to core's diagnostics. */
export class DogslowError extends IntroError {
  override name = 'DogslowError'
}
