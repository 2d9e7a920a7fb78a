import { createSocket } from 'node:dgram'
import { type Server, createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Listens on 127.0.0.1:0 and returns the base URL. */
export async function listen(handler: RequestListener): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A real UDP socket on 127.0.0.1 that keeps every datagram it receives (for tag formats Etsy's daemon does not parse). */
export async function udpReceiver(): Promise<{ port: number; lines(): string[]; close(): Promise<void> }> {
  const socket = createSocket('udp4')
  const lines: string[] = []
  socket.on('message', (message) => lines.push(...message.toString('utf8').split('\n').filter(Boolean)))
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return {
    port: socket.address().port,
    lines: () => [...lines],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
