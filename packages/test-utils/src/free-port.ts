import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'

/**
 * A port on 127.0.0.1 that nothing listens on right now (TCP unless
 * `protocol: 'udp'`). Another process can take it before the caller binds it:
 * the servers started here retry on a new port when that happens.
 *
 * @example
 * const port = await freePort()
 */
export function freePort(options: { protocol?: 'tcp' | 'udp' } = {}): Promise<number> {
  return options.protocol === 'udp' ? freeUdpPort() : freeTcpPort()
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no TCP port assigned'))))
    })
  })
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.unref()
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}
