/** What the app process is told by the launcher, through its environment. */
export interface AppConfig {
  /** Port to listen on (0: any free port). */
  port: number
  databaseUrl: string
  statsdHost: string
  statsdPort: number
  /** Folder the watchdog reports go to. */
  dogslowDir: string
  /** Folder the profiles (PDF, SVG, .cpuprofile) go to. */
  geordiDir: string
  /** Log file of the app (pino, one JSON object a line). */
  logPath: string
  /** BullMQ for geordi when set; inline profiling otherwise. */
  redisUrl: string | undefined
  /** Seconds after which a request is reported by the watchdog. */
  dogslowTimerSeconds: number
  /** How long the `/trending` endpoint blocks the event loop. */
  trendingBlockMs: number
  /** How long `/slow-report` waits on `pg_sleep`. */
  slowReportSeconds: number
  /** Time box of the user-supplied search regex. */
  searchTimeoutMs: number
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]
  if (value === undefined || value === '') throw new TypeError(`Expected the environment variable ${name} to be set`)
  return value
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`Expected ${name} to be a non-negative number, got \`${raw}\``)
  return value
}

/** Reads the app's configuration from the environment the launcher sets. */
export function appConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: number(env, 'DEMO_PORT', 0),
    databaseUrl: required(env, 'DATABASE_URL'),
    statsdHost: env.STATSD_HOST || '127.0.0.1',
    statsdPort: number(env, 'STATSD_PORT', 8125),
    dogslowDir: required(env, 'DEMO_DOGSLOW_DIR'),
    geordiDir: required(env, 'DEMO_GEORDI_DIR'),
    logPath: required(env, 'DEMO_APP_LOG'),
    redisUrl: env.REDIS_URL || undefined,
    dogslowTimerSeconds: number(env, 'DEMO_DOGSLOW_SECONDS', 2),
    trendingBlockMs: number(env, 'DEMO_TRENDING_BLOCK_MS', 3000),
    slowReportSeconds: number(env, 'DEMO_SLOW_REPORT_SECONDS', 3),
    searchTimeoutMs: number(env, 'DEMO_SEARCH_TIMEOUT_MS', 100),
  }
}
