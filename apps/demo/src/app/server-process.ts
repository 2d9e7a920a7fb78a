/**
 * The demo app's process: the news feed with intro installed, on 127.0.0.1. Started by the
 * launcher (main.ts), which tells it where the database, StatsD and the output folders are
 * through its environment, and hears back over IPC once it listens.
 */
import { appConfigFromEnv } from './config.js'
import { startInstrumentation } from './instrumentation.js'
import { startApp } from './start-app.js'

/** Sent over IPC once the server listens. */
export interface AppReadyMessage {
  type: 'ready'
  port: number
}

async function main(): Promise<void> {
  const config = appConfigFromEnv()
  const app = await startApp(config, startInstrumentation(config))
  const ready: AppReadyMessage = { type: 'ready', port: app.port }
  process.send?.(ready)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    app.close().finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  process.once('disconnect', stop)
}

main().catch((error: unknown) => {
  console.error('demo app failed to start:', error)
  process.exit(1)
})
