/**
 * Everything intro adds to the app, in one place: what a team would paste into its own
 * service. The app's routes only know `pg`, Express and — for the regex search — cow.
 */
import { expressMiddleware } from '@intro/core'
import { createDogslow } from '@intro/dogslow'
import { createGeordi } from '@intro/geordi'
import { createStats, instrumentPg, pinoMixin } from '@intro/stats'
import type { Express } from 'express'
import pg from 'pg'
import type { AppConfig } from './config.js'
import { isDemoAdmin } from './routes.js'

export interface Instrumentation {
  /** Installs the middlewares that must come before the routes. */
  installBefore(app: Express): void
  /** Installs the error middlewares that come after the routes. */
  installAfter(app: Express): void
  /** Stops timers, flushes metrics, closes workers. */
  close(): Promise<void>
}

/** pino's mixin from @intro/stats: every log line written inside a request carries its id. */
export const logMixin = pinoMixin()

export interface InstrumentationOptions {
  /**
   * Install geordi's `?__geordi__` middleware (not in the geordi worker, which replays requests
   * that no longer carry the parameter).
   * @defaultValue true
   */
  geordi?: boolean
}

export function startInstrumentation(config: AppConfig, options: InstrumentationOptions = {}): Instrumentation {
  // SQL comments with the request id, and every query registered as an in-flight operation.
  const unpatchPg = instrumentPg(pg)
  const stats = createStats({
    host: config.statsdHost,
    port: config.statsdPort,
    prefix: 'demo',
    processIntervalMs: 1000,
    flushIntervalMs: 200,
  })
  // The watchdog: a request still running after the timer gets a report file — what it waits
  // on, or, when it blocks the event loop, the running stack with its local variables.
  const dogslow = createDogslow({
    timerMs: config.dogslowTimerSeconds * 1000,
    outputDir: config.dogslowDir,
    stackVars: true,
  })
  // ?__geordi__ for the demo admin: inline profiling in this process, or BullMQ with REDIS_URL
  // (then run apps/geordi-worker against the same output folder).
  const geordi = options.geordi === false ? undefined : createGeordi({
    framework: 'express',
    authorize: (req) => isDemoAdmin(req),
    redisUrl: config.redisUrl,
    outDir: config.geordiDir,
    timeLimitMs: 20_000,
  })
  return {
    installBefore(app) {
      app.use(expressMiddleware())
      app.use(dogslow.express())
      if (geordi !== undefined) app.use(geordi.express())
    },
    installAfter(app) {
      // Admins get the technical error page (stack, locals, request); everyone else the app's own.
      if (geordi !== undefined) app.use(geordi.expressErrorHandler())
    },
    async close() {
      await geordi?.close()
      await dogslow.close()
      await stats.close()
      unpatchPg()
    },
  }
}
