import http from 'node:http'
import type { AddressInfo } from 'node:net'
import net from 'node:net'

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Sends the headers first and the body this many ms later, in a separate packet. */
  bodyDelayMs?: number
}

/** One HTTP request on a fresh connection (no keep-alive, so nothing lingers after a test). */
export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { connection: 'close', ...options.headers }
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body)
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.body === undefined) req.end()
    else if (options.bodyDelayMs === undefined) req.end(options.body)
    else {
      req.flushHeaders()
      setTimeout(() => req.end(options.body), options.bodyDelayMs)
    }
  })
}

/** Starts a request and destroys its socket once `started` resolves (the server saw it). */
export function requestThenDestroy(url: string, started: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, { agent: false })
    req.on('error', () => resolve())
    req.on('close', () => resolve())
    req.end()
    void started.then(() => req.destroy())
  })
}

/** Sends raw bytes and returns everything the server answered until it closed the socket. */
export function rawRequest(port: number, bytes: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', () => resolve(Buffer.concat(chunks)))
    socket.on('error', reject)
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')))
    socket.write(bytes)
  })
}

/** Listens on 127.0.0.1 on a free port. */
export async function listen(server: http.Server): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Resolves with `promise`, or rejects after `ms` (bounded waits in tests). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
