import { type RequestListener, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HttpServer } from './types.js'

/**
 * Starts a `node:http` server running `handler` on a free port of 127.0.0.1.
 * `stop()` also closes idle keep-alive connections, so it does not hang on a
 * client that keeps its socket open.
 *
 * @example
 * const http = await startHttpServer((req, res) => res.end('ok'))
 * await fetch(http.url)
 */
export async function startHttpServer(handler: RequestListener): Promise<HttpServer> {
  const server = createServer(handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  let stopped: Promise<void> | undefined
  return {
    server,
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopped
    },
  }
}
