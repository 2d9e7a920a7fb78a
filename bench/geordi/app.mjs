// The app profiled by the geordi scenario: one route that burns `ms` of CPU.
import express from 'express'
import { createGeordi } from '@intro/geordi'

// Spins on the clock rather than a fixed amount of work: the scenario measures geordi's time
// around a route that takes 200 ms, whatever the machine's speed.
export function burnCpu(ms) {
  const end = performance.now() + ms
  let x = 0
  while (performance.now() < end) for (let i = 0; i < 10_000; i++) x = (x * 31 + i) % 1_000_003
  return x
}

export function createApp(options = {}) {
  const geordi = createGeordi({ authorize: (req) => req.headers['x-bench-admin'] === 'yes', ...options })
  const app = express()
  app.use(geordi.express())
  app.get('/cpu', (req, res) => res.json({ x: burnCpu(Number(req.query.ms ?? 200)) }))
  app.geordi = geordi
  return app
}
