/**
 * Everything intro adds to the app, in one place: what a team would paste into its own
 * service. The app's routes only know `pg`, Express and — for the regex search — cow.
 */
import { expressMiddleware } from '@intro/core'
import { createStats, instrumentPg, pinoMixin } from '@intro/stats'
import type { Express } from 'express'
import pg from 'pg'
import type { AppConfig } from './config.js'

export interface Instrumentation {
  /** Installs the middlewares that must come before the routes. */
  installBefore(app: Express): void
  /** Stops timers, flushes metrics, closes workers. */
  close(): Promise<void>
}

/** pino's mixin from @intro/stats: every log line written inside a request carries its id. */
export const logMixin = pinoMixin()

export function startInstrumentation(config: AppConfig): Instrumentation {
  // SQL comments with the request id, and every query registered as an in-flight operation.
  const unpatchPg = instrumentPg(pg)
  const stats = createStats({
    host: config.statsdHost,
    port: config.statsdPort,
    prefix: 'demo',
    processIntervalMs: 1000,
    flushIntervalMs: 200,
  })
  return {
    installBefore(app) {
      app.use(expressMiddleware())
    },
    async close() {
      await stats.close()
      unpatchPg()
    },
  }
}
