import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { WorkerReadyMessage } from './app/geordi-worker-process.js'
import type { AppReadyMessage } from './app/server-process.js'
import { type Child, forkUntilReady } from './child-process.js'
import { type Database, startDatabase } from './database/start-database.js'
import type { OutputDirs } from './output-dir.js'
import { type StatsdSink, startStatsdSink } from './statsd/statsd-daemon.js'

/** Everything the demo runs: database, StatsD, and the instrumented app. */
export interface Stack {
  readonly appUrl: string
  readonly database: Database
  readonly statsd: StatsdSink
  readonly appLogPath: string
  stop(): Promise<void>
}

export interface StackOptions {
  dirs: OutputDirs
  port: number
  /** Called before each component starts. */
  onStep?(label: string): void
}

const appModule = fileURLToPath(new URL('./app/server-process.js', import.meta.url))
const workerModule = fileURLToPath(new URL('./app/geordi-worker-process.js', import.meta.url))

function isReady<T extends { type: 'ready' }>(message: unknown): message is T {
  return (message as { type?: unknown } | null)?.type === 'ready'
}

/** Geordi queues jobs on BullMQ (and the demo starts a worker) when `REDIS_URL` is set. */
export function usesQueue(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.REDIS_URL ?? '') !== ''
}

/** How many steps {@link startStack} reports. */
export function stackSteps(env: NodeJS.ProcessEnv = process.env): number {
  return usesQueue(env) ? 4 : 3
}

/** Starts the database, StatsD and the app; stops whatever started when a later step fails. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { dirs } = options
  const stops: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {})
  }
  try {
    options.onStep?.(process.env.DATABASE_URL ? 'connecting to DATABASE_URL' : 'starting embedded PostgreSQL (PGlite)')
    const database = await startDatabase({ dir: dirs.database, externalUrl: process.env.DATABASE_URL })
    stops.push(() => database.stop())
    options.onStep?.('starting the StatsD daemon')
    const statsd = await startStatsdSink({ dir: dirs.statsd, flushIntervalMs: 1000 })
    stops.push(() => statsd.stop())
    options.onStep?.('starting the instrumented app')
    const appLogPath = join(dirs.app, 'app.log')
    const env = {
      DEMO_PORT: String(options.port),
      DATABASE_URL: database.url,
      STATSD_HOST: statsd.host,
      STATSD_PORT: String(statsd.port),
      DEMO_DOGSLOW_DIR: dirs.dogslow,
      DEMO_GEORDI_DIR: dirs.geordi,
      DEMO_APP_LOG: appLogPath,
    }
    const app: Child<AppReadyMessage> = await forkUntilReady({
      what: 'demo app',
      modulePath: appModule,
      env,
      logPath: join(dirs.app, 'stderr.log'),
      timeoutMs: 60_000,
      isReady: isReady<AppReadyMessage>,
    })
    stops.push(() => app.stop(5000))
    if (usesQueue()) {
      options.onStep?.('starting the geordi worker (BullMQ on REDIS_URL)')
      const worker: Child<WorkerReadyMessage> = await forkUntilReady({
        what: 'geordi worker',
        modulePath: workerModule,
        env: { ...env, DEMO_APP_LOG: join(dirs.app, 'worker.log') },
        logPath: join(dirs.app, 'worker-stderr.log'),
        timeoutMs: 60_000,
        isReady: isReady<WorkerReadyMessage>,
      })
      stops.push(() => worker.stop(5000))
    }
    return { appUrl: `http://127.0.0.1:${app.ready.port}`, database, statsd, appLogPath, stop: stopAll }
  } catch (error) {
    await stopAll()
    throw error
  }
}
