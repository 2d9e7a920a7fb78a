import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import type { CapturedRequest } from './job-data.js'

/** Where the app listens for replays: an ephemeral 127.0.0.1 port in the worker, or the web server itself inline. */
export interface ReplayTarget {
  host: string
  port: number
  /** TLS to a server using a certificate for another name (inline mode on an HTTPS server). */
  tls?: boolean
}

/** What the app answered. */
export interface ReplayResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  sizeBytes: number
}

function outgoingHeaders(pairs: readonly [string, string][]): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of pairs) {
    const previous = headers[name]
    headers[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return headers
}

/**
 * Sends the captured request to the app over a fresh loopback connection and reads the whole
 * response. The app's own HTTP parsing, middleware and serialisation all run, as for the
 * original request; only the client side (a few percent of a CPU-bound request) is added.
 * Rejects with `ERR_GEORDI_TIME_LIMIT` after `timeLimitMs`, `ERR_GEORDI_REPLAY_FAILED` on a
 * connection failure.
 */
export function replayRequest(
  target: ReplayTarget,
  captured: CapturedRequest,
  timeLimitMs: number,
  signal?: AbortSignal,
): Promise<ReplayResponse> {
  return new Promise((resolve, reject) => {
    const body = captured.bodyBase64 === undefined ? undefined : Buffer.from(captured.bodyBase64, 'base64')
    const headers = outgoingHeaders(captured.headers)
    if (body !== undefined) headers['content-length'] = String(body.length)
    const send = target.tls ? httpsRequest : httpRequest
    let settled = false
    const finish = (error: Error | undefined, response?: ReplayResponse) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (error) reject(error)
      else resolve(response!)
    }
    const req = send({
      host: target.host,
      port: target.port,
      method: captured.method,
      path: captured.url,
      headers,
      agent: false,
      rejectUnauthorized: false,
      setHost: false,
    })
    const timer = setTimeout(() => {
      const error = new GeordiError(`the request did not finish within timeLimitMs (${timeLimitMs} ms)`, {
        code: GeordiErrorCodes.timeLimit,
      })
      finish(error)
      req.destroy(error)
    }, timeLimitMs)
    const onAbort = () => {
      const reason = signal?.reason instanceof Error ? signal.reason : new Error('aborted')
      finish(reason)
      req.destroy(reason)
    }
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    req.on('error', (error) => {
      finish(new GeordiError(`replaying the request failed: ${error.message}`, { code: GeordiErrorCodes.replayFailed, cause: error }))
    })
    req.on('response', (res) => {
      let sizeBytes = 0
      res.on('data', (chunk: Buffer) => {
        sizeBytes += chunk.length
      })
      res.on('end', () => finish(undefined, { statusCode: res.statusCode ?? 0, headers: res.headers, sizeBytes }))
      res.on('error', (error) => {
        finish(new GeordiError(`reading the response failed: ${error.message}`, { code: GeordiErrorCodes.replayFailed, cause: error }))
      })
    })
    req.end(body)
  })
}
