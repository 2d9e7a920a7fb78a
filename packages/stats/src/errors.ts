import { IntroError } from '@intro/core'

/** Base class of errors raised by @intro/stats (`code` starts with `ERR_INTRO_STATS_`). */
export class StatsError extends IntroError {
  override name = 'StatsError'
}

/** Error codes used by @intro/stats. */
export const StatsErrorCode = {
  /** `instrumentPg` / `instrumentMysql2` got something that is not the driver module. */
  notADriver: 'ERR_INTRO_STATS_NOT_A_DRIVER',
  /** The installed hot-shots lacks the internal counter that `maxPacketsInFlight` relies on (thrown by `createStats`). */
  unsupportedClient: 'ERR_INTRO_STATS_UNSUPPORTED_CLIENT',
} as const

/** Union of {@link StatsErrorCode} values. */
export type StatsErrorCode = (typeof StatsErrorCode)[keyof typeof StatsErrorCode]
