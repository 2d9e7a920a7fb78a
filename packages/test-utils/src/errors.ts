/** Codes carried by {@link TestUtilsError}. */
export const TestUtilsErrorCode = {
  /** A server binary (redis-server, postgres...) is not installed. */
  missingBinary: 'ERR_TEST_UTILS_MISSING_BINARY',
  /** A server process exited or never became ready. */
  startFailed: 'ERR_TEST_UTILS_START_FAILED',
  /** A `waitFor...` helper gave up. */
  timeout: 'ERR_TEST_UTILS_TIMEOUT',
} as const

export type TestUtilsErrorCode = (typeof TestUtilsErrorCode)[keyof typeof TestUtilsErrorCode]

/**
 * Thrown by the test servers. Test-utils sits below core in the dependency graph
 * (core's own tests use it), so it cannot extend core's IntroError.
 */
export class TestUtilsError extends Error {
  override readonly name = 'TestUtilsError'
  readonly code: TestUtilsErrorCode

  constructor(message: string, options: { code: TestUtilsErrorCode; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code
  }
}
