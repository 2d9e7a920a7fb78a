import { connect } from 'node:net'

/** What {@link rawRequest} sends. */
export interface RawRequestOptions {
  /** Port of the HTTP server on 127.0.0.1. */
  port: number
  /** The exchange exactly as written on the wire: request line, headers, blank line, body. */
  text: string
  /** How the answer's bytes are decoded. @defaultValue `'utf8'` */
  encoding?: BufferEncoding
  /** Fails the exchange when the server has not closed by then. @defaultValue `20_000` */
  timeoutMs?: number
}

/**
 * Writes raw bytes to an HTTP server on 127.0.0.1 — a hostile `Host` header, an absolute-form
 * target, anything a client such as `fetch` would normalise — and resolves with everything the
 * server answered once it closes the connection (send `Connection: close`).
 *
 * @example
 * const answer = await rawRequest({ port, text: 'GET / HTTP/1.1\r\nHost: x:99999\r\nConnection: close\r\n\r\n' })
 */
export function rawRequest(options: RawRequestOptions): Promise<string> {
  const { port, text, encoding = 'utf8', timeoutMs = 20_000 } = options
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text))
    const chunks: Buffer[] = []
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from 127.0.0.1:${port} within ${timeoutMs} ms`)))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => resolve(Buffer.concat(chunks).toString(encoding)))
  })
}
