import { performance } from 'node:perf_hooks'

/** One request the driver sent and what came back. */
export interface RequestResult {
  url: string
  status: number
  /** The correlation id the app answered with (`x-request-id`). */
  requestId: string | undefined
  durationMs: number
  contentType: string
  /** Response headers (lower-case names). */
  headers: Record<string, string>
  /** Body as text (binary bodies are left out), truncated. */
  body: string
  /** Body size in bytes, and its first bytes (to recognise a PDF). */
  bytes: number
  head: string
  /** Network error or timeout, when there was no response. */
  error?: string
}

export interface SendOptions {
  cookie?: string
  timeoutMs: number
}

const MAX_BODY = 64 * 1024

/** Sends one GET over real HTTP, bounded by `timeoutMs`; never throws. */
export async function get(url: string, options: SendOptions): Promise<RequestResult> {
  const start = performance.now()
  try {
    const response = await fetch(url, {
      headers: options.cookie === undefined ? {} : { cookie: options.cookie },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    const contentType = response.headers.get('content-type') ?? ''
    const isText = /^(text\/|application\/json)/.test(contentType)
    const raw = Buffer.from(await response.arrayBuffer())
    return {
      url,
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
      durationMs: performance.now() - start,
      contentType,
      headers: Object.fromEntries(response.headers),
      body: isText ? raw.toString('utf8', 0, Math.min(raw.length, MAX_BODY)) : '',
      bytes: raw.length,
      head: raw.toString('latin1', 0, 8),
    }
  } catch (error) {
    return {
      url,
      status: 0,
      requestId: undefined,
      durationMs: performance.now() - start,
      contentType: '',
      headers: {},
      body: '',
      bytes: 0,
      head: '',
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }
  }
}
