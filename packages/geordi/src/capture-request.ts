import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { GEORDI_HEADER } from './api-trigger.js'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import type { CapturedRequest } from './job-data.js'

// Connection-level headers describe the admin's connection, not the request; the replay opens
// its own connection and Node recomputes the framing (content-length) from the captured body.
const NOT_REPLAYED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'content-length',
  'http2-settings',
  // Not hop-by-hop, but geordi's own trigger: replayed, it would start a profile of the replay.
  GEORDI_HEADER,
])

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge(maxBytes)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function tooLarge(maxBytes: number): GeordiError {
  return new GeordiError(`request body is larger than maxBodyBytes (${maxBytes})`, {
    code: GeordiErrorCodes.bodyTooLarge,
  })
}

/**
 * Serialises an incoming request for replay: method, URL without the parameter, end-to-end
 * headers (credentials included, so the replay acts as the same user) and the body up to
 * `maxBodyBytes`. Install geordi before body parsers, or the body is already consumed.
 */
export async function captureRequest(req: IncomingMessage, strippedUrl: string, maxBodyBytes: number): Promise<CapturedRequest> {
  const headers: [string, string][] = []
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (!NOT_REPLAYED.has(name.toLowerCase())) headers.push([name, raw[i + 1]!])
  }
  const captured: CapturedRequest = {
    method: req.method ?? 'GET',
    url: strippedUrl,
    headers,
    secure: (req.socket as TLSSocket | undefined)?.encrypted === true,
  }
  if (hasBody(req) && !req.readableEnded) {
    const body = await readBody(req, maxBodyBytes)
    if (body.length > 0) captured.bodyBase64 = body.toString('base64')
  }
  return captured
}

/** The full URL of a captured request, for reports (`http(s)://host/path?query`). */
export function fullUrl(request: CapturedRequest): string {
  const host = request.headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? 'localhost'
  return `${request.secure ? 'https' : 'http'}://${host}${request.url}`
}

/** Captured headers as an object (repeated names joined as Node does), for redaction and reports. */
export function headersObject(headers: readonly [string, string][]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of headers) {
    const key = name.toLowerCase()
    const previous = out[key]
    out[key] = previous === undefined ? value : `${previous}${key === 'cookie' ? '; ' : ', '}${value}`
  }
  return out
}
