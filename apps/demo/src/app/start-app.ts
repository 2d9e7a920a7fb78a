import type { AddressInfo } from 'node:net'
import { runWithContext } from '@intro/core'
import pg from 'pg'
import pino from 'pino'
import { ArticleStore } from './articles.js'
import type { AppConfig } from './config.js'
import { createApp } from './create-app.js'
import { type Instrumentation, logMixin } from './instrumentation.js'
import { seedNews } from './news-data.js'

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

/** Seeds the database when empty, then serves the news feed on 127.0.0.1. */
export async function startApp(config: AppConfig, instrumentation: Instrumentation): Promise<RunningApp> {
  const destination = pino.destination({ dest: config.logPath, sync: false, mkdir: true })
  const logger = pino({ mixin: logMixin }, destination)
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 })
  // A job context, so the seed's SQL carries `job='seed-news'` in its comment.
  await runWithContext({ name: 'seed-news' }, () => seedNews(pool))
  const app = createApp(new ArticleStore(pool), config, instrumentation, logger)
  const server = app.listen(config.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  logger.info({ port }, 'listening')
  return {
    port,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await instrumentation.close()
      await pool.end()
      try {
        destination.flushSync()
      } catch {
        // Nothing was written yet (the file is still opening): nothing to flush.
      }
    },
  }
}
