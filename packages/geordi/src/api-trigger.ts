import type { IncomingMessage } from 'node:http'
import { mayCarryGeordiParam, type ParsedGeordiUrl, parseGeordiUrl } from './geordi-param.js'

/**
 * The request header that starts profiling like `?__geordi__` does, for clients that cannot
 * easily change the URL (fetch/XHR, JSON APIs, scripts). Node lower-cases header names.
 */
export const GEORDI_HEADER = 'x-geordi'

const START_VALUES = new Set(['', '1', 'true', 'start'])

/** Cheap first test for the hot path: could this request be one for geordi at all? */
export function mayBeGeordiRequest(req: IncomingMessage): boolean {
  return mayCarryGeordiParam(req.url) || req.headers[GEORDI_HEADER] !== undefined
}

/** True when `X-Geordi` asks to start profiling (`1`, `true`, `start` or empty). */
export function headerStartsProfiling(req: IncomingMessage): boolean {
  const value = req.headers[GEORDI_HEADER]
  return typeof value === 'string' && START_VALUES.has(value.trim().toLowerCase())
}

/**
 * Whether the client asked for JSON: `Accept` names `application/json` (or a `+json` type) and
 * not `text/html` before it. Browsers navigating put `text/html` first and get pages; fetch's
 * default `*\/*` gets pages too. Quality values are not weighed.
 */
export function wantsJson(req: IncomingMessage | undefined): boolean {
  const accept = req?.headers.accept
  if (accept === undefined) return false
  const json = accept.search(/application\/(?:[\w.-]+\+)?json/i)
  if (json === -1) return false
  const html = accept.search(/text\/html/i)
  return html === -1 || json < html
}

/**
 * What a request asks of geordi: `?__geordi__…` in the URL first (a job's page, status, files,
 * the recent list or a start), else a start by `X-Geordi`; `undefined` when neither.
 */
export function geordiRequestOf(req: IncomingMessage): ParsedGeordiUrl | undefined {
  const fromUrl = mayCarryGeordiParam(req.url) ? parseGeordiUrl(req.url!) : undefined
  if (fromUrl !== undefined) return fromUrl
  return headerStartsProfiling(req) ? { request: { kind: 'start' }, strippedUrl: req.url ?? '/' } : undefined
}
