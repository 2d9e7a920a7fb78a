import { IntroError } from '@intro/core'

/** Base class of errors raised by @intro/stats (`code` starts with `ERR_INTRO_STATS_`). */
export class StatsError extends IntroError {
  override name = 'StatsError'
}

/** Error codes used by @intro/stats. */
export const StatsErrorCode = {
  /** `instrumentPg` / `instrumentMysql2` got something that is not the driver module. */
  notADriver: 'ERR_INTRO_STATS_NOT_A_DRIVER',
} as const

/** Union of {@link StatsErrorCode} values. */
export type StatsErrorCode = (typeof StatsErrorCode)[keyof typeof StatsErrorCode]
