/**
 * The demo app's process: the news feed with intro installed, on 127.0.0.1. Started by the
 * launcher (main.ts), which tells it where the database, StatsD and the output folders are
 * through its environment, and hears back over IPC once it listens.
 */
import type { AddressInfo } from 'node:net'
import { runWithContext } from '@intro/core'
import pg from 'pg'
import pino from 'pino'
import { ArticleStore } from './articles.js'
import { appConfigFromEnv } from './config.js'
import { createApp } from './create-app.js'
import { logMixin, startInstrumentation } from './instrumentation.js'
import { seedNews } from './news-data.js'

/** Sent over IPC once the server listens. */
export interface AppReadyMessage {
  type: 'ready'
  port: number
}

async function main(): Promise<void> {
  const config = appConfigFromEnv()
  const logger = pino({ mixin: logMixin }, pino.destination({ dest: config.logPath, sync: true }))
  const instrumentation = startInstrumentation(config)
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 })
  // A job context, so the seed's SQL carries `job='seed-news'` in its comments.
  await runWithContext({ name: 'seed-news' }, () => seedNews(pool))
  const app = createApp(new ArticleStore(pool), config, instrumentation, logger)
  const server = app.listen(config.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  logger.info({ port }, 'listening')
  const ready: AppReadyMessage = { type: 'ready', port }
  process.send?.(ready)

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await instrumentation.close()
    await pool.end()
    logger.flush()
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  process.once('disconnect', stop)
}

main().catch((error: unknown) => {
  console.error('demo app failed to start:', error)
  process.exit(1)
})
