import { IntroError } from '@intro/core'

/** Codes of the errors thrown while rendering a profile. */
export const RenderErrorCodes = {
  invalidProfile: 'ERR_INTRO_GEORDI_INVALID_PROFILE',
  layout: 'ERR_INTRO_GEORDI_LAYOUT',
  pdf: 'ERR_INTRO_GEORDI_PDF',
} as const

/** One of {@link RenderErrorCodes}. */
export type RenderErrorCode = (typeof RenderErrorCodes)[keyof typeof RenderErrorCodes]

/** The input is not a V8 `.cpuprofile` (unreadable, not JSON, or missing `nodes`/times). */
export class InvalidProfileError extends IntroError {
  override name = 'InvalidProfileError'

  constructor(message: string, cause?: unknown) {
    super(message, { code: RenderErrorCodes.invalidProfile, cause })
  }
}

/** Graphviz or pdfkit failed to produce the report. */
export class RenderError extends IntroError {
  override name = 'RenderError'

  constructor(message: string, code: typeof RenderErrorCodes.layout | typeof RenderErrorCodes.pdf, cause?: unknown) {
    super(message, { code, cause })
  }
}
