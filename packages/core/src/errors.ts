/** Error codes raised by the toolkit itself; package-specific codes live in each package's `errors.ts`. */
export const ErrorCodes = {
  invalidOption: 'ERR_INTRO_INVALID_OPTION',
  incompatibleCopy: 'ERR_INTRO_INCOMPATIBLE_COPY',
} as const

/** Options accepted by {@link IntroError}. */
export interface IntroErrorOptions {
  /** Stable machine-readable code, `ERR_INTRO_*`. Tests and callers branch on this, never on the message. */
  code: string
  /** The underlying failure, kept for `error.cause`. */
  cause?: unknown
}

/**
 * Base class of every error the toolkit throws.
 *
 * @example
 * ```ts
 * try { ... } catch (error) { if (error instanceof IntroError && error.code === 'ERR_INTRO_TIMEOUT') ... }
 * ```
 */
export class IntroError extends Error {
  override name = 'IntroError'
  readonly code: string

  constructor(message: string, options: IntroErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code
  }
}
