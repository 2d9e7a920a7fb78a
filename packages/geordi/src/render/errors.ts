// TODO(core): extend IntroError from '@intro/core' once core exports it; same shape (code + cause).
class IntroErrorBase extends Error {
  override name = 'IntroError'
  readonly code: string

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code
  }
}

/** Codes of the errors thrown while rendering a profile. */
export const RenderErrorCodes = {
  invalidProfile: 'ERR_INTRO_GEORDI_INVALID_PROFILE',
  layout: 'ERR_INTRO_GEORDI_LAYOUT',
  pdf: 'ERR_INTRO_GEORDI_PDF',
} as const

/** The input is not a V8 `.cpuprofile` (unreadable, not JSON, or missing `nodes`/times). */
export class InvalidProfileError extends IntroErrorBase {
  override name = 'InvalidProfileError'

  constructor(message: string, cause?: unknown) {
    super(message, { code: RenderErrorCodes.invalidProfile, cause })
  }
}

/** Graphviz or pdfkit failed to produce the report. */
export class RenderError extends IntroErrorBase {
  override name = 'RenderError'

  constructor(message: string, code: typeof RenderErrorCodes.layout | typeof RenderErrorCodes.pdf, cause?: unknown) {
    super(message, { code, cause })
  }
}
