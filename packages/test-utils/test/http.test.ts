import { Agent, request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startHttpServer } from '../src/index.js'

describe('startHttpServer', () => {
  it('serves the handler on 127.0.0.1', async () => {
    const http = await startHttpServer((req, res) => res.end(`hello ${req.url}`))
    try {
      expect(http.url).toBe(`http://127.0.0.1:${http.port}`)
      const response = await fetch(`${http.url}/world`)
      expect(await response.text()).toBe('hello /world')
    } finally {
      await http.stop()
    }
  })

  it('stops even while a client holds a keep-alive connection, and stop() can be called again', async () => {
    const http = await startHttpServer((_req, res) => res.end('ok'))
    const agent = new Agent({ keepAlive: true })
    await new Promise<void>((resolve, reject) => {
      request(http.url, { agent }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
        .on('error', reject)
        .end()
    })
    await http.stop()
    await http.stop()
    expect(http.server.listening).toBe(false)
    agent.destroy()
  })
})
