// Telemetry sinks on 127.0.0.1 for the benchmarks: each keeps a sample of what it received, so a
// scenario can check after the run that every arm really sent what it is credited with.
import { createSocket } from 'node:dgram'
import { createServer } from 'node:http'

/** A UDP port that swallows StatsD datagrams, keeping the text of a few for the check. */
export function startStatsdSink() {
  const socket = createSocket('udp4')
  const sink = { port: 0, datagrams: 0, sample: '', close: () => new Promise((done) => socket.close(done)) }
  socket.on('message', (message) => {
    sink.datagrams++
    if (sink.sample.length < 64 * 1024) sink.sample += `${message.toString('utf8')}\n`
  })
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () => {
      sink.port = socket.address().port
      resolve(sink)
    })
  })
}

/** An OTLP/HTTP endpoint that accepts span batches and keeps a sample of their bytes. */
export function startOtlpSink() {
  const sink = { url: '', requests: 0, bytes: 0, sample: Buffer.alloc(0), close: undefined }
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      sink.requests++
      sink.bytes += body.length
      if (sink.sample.length < 256 * 1024) sink.sample = Buffer.concat([sink.sample, body])
      res.writeHead(200, { 'content-type': 'application/x-protobuf' })
      res.end()
    })
  })
  sink.close = () => new Promise((done) => server.close(done))
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      sink.url = `http://127.0.0.1:${server.address().port}`
      resolve(sink)
    })
  })
}
