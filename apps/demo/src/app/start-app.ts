import type { AddressInfo } from 'node:net'
import { onDiagnostic, runWithContext } from '@intro/core'
import type { Express } from 'express'
import pg from 'pg'
import pino from 'pino'
import { ArticleStore } from './articles.js'
import type { AppConfig } from './config.js'
import { createApp } from './create-app.js'
import { type Instrumentation, logMixin } from './instrumentation.js'
import { seedNews } from './news-data.js'

/** The Express app with its database pool and logger, not yet listening. */
export interface BuiltApp {
  readonly app: Express
  /** Closes the instrumentation and the pool, and flushes the log. */
  close(): Promise<void>
}

export interface RunningApp {
  readonly port: number
  /** Closes the server, the instrumentation and the pool, and flushes the log. */
  close(): Promise<void>
}

/** Without intro: the same app, for comparison (the full-stack benchmark's baseline). */
export const noInstrumentation: Instrumentation = {
  installBefore() {},
  installAfter() {},
  async close() {},
}

/** Seeds the database when empty and builds the news-feed app. */
export async function buildApp(config: AppConfig, instrumentation: Instrumentation): Promise<BuiltApp> {
  const destination = pino.destination({ dest: config.logPath, sync: false, mkdir: true })
  const logger = pino({ mixin: logMixin }, destination)
  // intro never throws into the app: its own failures (a sink that cannot write, a hook that
  // throws) arrive here, and belong in the app's log.
  const stopDiagnostics = onDiagnostic((event) => {
    logger[event.level]({ scope: event.scope, err: event.error }, `intro: ${event.message}`)
  })
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 })
  // A job context, so the seed's SQL carries `job='seed-news'` in its comment.
  await runWithContext({ name: 'seed-news' }, () => seedNews(pool))
  return {
    app: createApp(new ArticleStore(pool), config, instrumentation, logger),
    async close() {
      await instrumentation.close()
      stopDiagnostics()
      await pool.end()
      try {
        destination.flushSync()
      } catch {
        // Nothing was written yet (the file is still opening): nothing to flush.
      }
    },
  }
}

/** Builds the app and serves it on 127.0.0.1. */
export async function startApp(config: AppConfig, instrumentation: Instrumentation): Promise<RunningApp> {
  const built = await buildApp(config, instrumentation)
  const server = built.app.listen(config.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return {
    port,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await built.close()
    },
  }
}
