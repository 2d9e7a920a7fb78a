// One web process of the geordi-weight scenario: an Express app listening on 127.0.0.1, idle,
// with (or without) geordi's middleware. Prints its memory once settled, as one JSON line.
//   node web-process.mjs bare | geordi | geordi+render
import { createRequire } from 'node:module'
import express from 'express'

const arm = process.argv[2] ?? 'geordi'
const app = express()
if (arm !== 'bare') {
  const { createGeordi } = await import('@intro/geordi')
  app.use(createGeordi({ authorize: () => false, env: {} }).express())
}
// The renderer's share: the same middleware with pdfkit, fontkit and Graphviz (WASM) loaded, as
// every web process had them before they were loaded lazily.
if (arm === 'geordi+render') await import('@intro/geordi/render')
app.get('/', (_req, res) => res.send('ok'))
const server = app.listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
await new Promise((resolve) => setTimeout(resolve, 300))
globalThis.gc?.()
await new Promise((resolve) => setTimeout(resolve, 200))
const memory = process.memoryUsage()
const loaded = Object.keys(createRequire(import.meta.url).cache)
console.log(
  JSON.stringify({
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    renderer: loaded.some((path) => /[\\/]node_modules[\\/](pdfkit|fontkit|svg-to-pdfkit)[\\/]/.test(path)),
  }),
)
server.close()
