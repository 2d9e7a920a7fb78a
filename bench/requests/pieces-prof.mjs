import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { Session } from 'node:inspector/promises'
const { wrapHandler } = await import('@intro/core')
const socket = new Socket()
function serve(listener) {
  const req = new IncomingMessage(socket)
  req.method = 'GET'; req.url = '/'; req.rawHeaders = ['Host', '127.0.0.1:8080', 'User-Agent', 'bench']
  const res = new ServerResponse(req)
  listener(req, res)
  res.finished = true
  res.emit('close')
}
const core = wrapHandler(() => {})
for (let i = 0; i < 100000; i++) serve(core)
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 50 }); await s.post('Profiler.start')
for (let i = 0; i < 400000; i++) { serve(core); if (i % 64 === 0) await new Promise((r) => setImmediate(r)) }
const { profile } = await s.post('Profiler.stop')
const { writeFileSync, mkdirSync } = await import('node:fs'); mkdirSync('/tmp/cprof', { recursive: true }); writeFileSync('/tmp/cprof/p.cpuprofile', JSON.stringify(profile))
