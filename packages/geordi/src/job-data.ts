import { GeordiError, GeordiErrorCodes } from './errors.js'

/**
 * The request as the web process received it, minus the geordi parameter. It carries the
 * caller's credentials (cookies, Authorization) so the replay acts as the same user: it lives
 * in the BullMQ job only, which is removed when the job settles, and is never logged.
 */
export interface CapturedRequest {
  method: string
  /** Path and query, without `__geordi__`. */
  url: string
  /** Header name/value pairs in arrival order, hop-by-hop headers removed. */
  headers: [string, string][]
  /** The body, base64, when there was one. */
  bodyBase64?: string
  /** Whether the original connection was TLS (for the full URL shown in reports). */
  secure: boolean
}

/** Data of one BullMQ job (and of an inline run). */
export interface GeordiJobData {
  version: 1
  id: string
  createdAt: number
  request: CapturedRequest
  samplingIntervalUs: number
  /** Absent in jobs queued by an older web process: 500 then. */
  minSamples?: number
  timeLimitMs: number
  queueTimeoutMs: number
  renderTimeoutMs: number
  resultTtlMs: number
}

/** Checks a job payload read from Redis before the worker acts on it. */
export function assertJobData(value: unknown): asserts value is GeordiJobData {
  const data = value as Partial<GeordiJobData> | null
  const ok =
    data !== null &&
    typeof data === 'object' &&
    data.version === 1 &&
    typeof data.id === 'string' &&
    typeof data.createdAt === 'number' &&
    typeof data.request?.method === 'string' &&
    typeof data.request.url === 'string' &&
    Array.isArray(data.request.headers) &&
    typeof data.timeLimitMs === 'number'
  if (!ok) throw new GeordiError('job payload is not a geordi job (version 1)', { code: GeordiErrorCodes.badJob })
}
