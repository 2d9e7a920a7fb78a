import { connect } from 'node:net'

/**
 * Opens a TCP connection to 127.0.0.1:`port`, optionally writes `send`, and
 * resolves with the first data received ('' when only connecting), or
 * `undefined` when the connection fails or nothing arrives within `timeoutMs`.
 */
export function tcpExchange(port: number, send?: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const finish = (value: string | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(value)
    }
    const timer = setTimeout(() => finish(undefined), timeoutMs)
    socket.once('error', () => finish(undefined))
    socket.once('connect', () => {
      if (send === undefined) finish('')
      else socket.write(send)
    })
    socket.once('data', (data) => finish(data.toString('utf8')))
  })
}
