import type { IntegrationOptions } from '@intro/core'
/** How metric names and dimensions are written on the wire. */
export const StatsMode = {
  /** Plain StatsD for Graphite: dimensions become sanitised, dot-separated key segments. */
  graphite: 'graphite',
  /** DogStatsD: a fixed metric name with `|#key:value` tags. */
  dogstatsd: 'dogstatsd',
  /** Telegraf's StatsD input: a fixed metric name with `,key=value` tags. */
  telegraf: 'telegraf',
} as const

/** Union of {@link StatsMode} values. */
export type StatsMode = (typeof StatsMode)[keyof typeof StatsMode]

/** Options of {@link createStats}. */
export interface StatsOptions {
  /**
   * StatsD host name or IP.
   * @defaultValue `process.env.STATSD_HOST` or `'127.0.0.1'`
   */
  host?: string
  /**
   * StatsD UDP port.
   * @defaultValue `process.env.STATSD_PORT` or `8125`
   */
  port?: number
  /**
   * Prefix of every metric name; a trailing dot is added when missing.
   * @defaultValue `process.env.STATSD_PREFIX` or `''`
   */
  prefix?: string
  /**
   * Key style: Graphite key segments, or DogStatsD / Telegraf tags.
   * @defaultValue `process.env.STATSD_MODE` or `'graphite'`
   */
  mode?: StatsMode
  /**
   * Bytes buffered before a UDP packet is sent (keep under the path MTU).
   * @defaultValue `1432`
   */
  maxBufferSize?: number
  /**
   * Longest time a metric waits in the buffer, in milliseconds.
   * @defaultValue `1000`
   */
  flushIntervalMs?: number
  /**
   * Packets handed to the socket and not yet sent above which new metrics are dropped, so a
   * StatsD that cannot be reached never grows memory.
   * @defaultValue `100`
   */
  maxPacketsInFlight?: number
  /**
   * How often a host name is resolved again, in milliseconds (resolved once, not per packet).
   * @defaultValue `60000`
   */
  dnsTtlMs?: number
  /**
   * Record request timers, status counters and the in-flight gauge for every request seen by
   * core's adapters (`onRequestLifecycle`). Set `false` and pass {@link Stats.hooks} to one
   * adapter to limit metrics to that adapter.
   * @defaultValue `true`
   */
  requests?: boolean
  /**
   * With `requests` on, warn once (core's diagnostics, scope `stats.requests`) when no request
   * reached any of core's adapters this long after `createStats()`: the sign of an app that
   * never installed one. `0` turns the check off (scripts and workers that serve no requests).
   * @defaultValue `60000`
   */
  requestsWarningMs?: number
  /**
   * Record SQL and outbound HTTP timers from core's operation registry.
   * @defaultValue `true`
   */
  operations?: boolean
  /**
   * Record the app's queries, outbound calls, child processes and unbounded file reads with no
   * wiring: core's integrations for pg, mysql2, ioredis, `fetch`, `node:http(s)`, `childProcess`
   * and `fs`, for modules loaded before or after
   * `createStats()` (shared with the slow-request watchdog: each call is recorded once). SQL
   * comments and correlation-id headers stay opt-in (`instrumentPg`, `instrumentMysql2`,
   * `instrumentOutboundHttp`). `false` turns them all off; an object turns single ones off.
   * @defaultValue `true` when `operations` is on
   */
  integrations?: boolean | IntegrationOptions
  /**
   * Interval of the process gauges (event-loop delay, heap, RSS, GC, and the in-flight request
   * count) in milliseconds; `0` turns them all off. Keep it at or above StatsD's flush interval:
   * StatsD keeps only the last value of a gauge per flush, so a faster interval loses peaks.
   * @defaultValue `10000`
   */
  processIntervalMs?: number
  /**
   * Count `uncaughtException`s (observed with `uncaughtExceptionMonitor`, which changes nothing
   * about how the process handles them) and send the buffer at once, before the process dies.
   * @defaultValue `true`
   */
  exceptions?: boolean
  /**
   * Count reports of the slow-request watchdog (`intro:dogslow:report` channel) as `dogslow.reports`.
   * @defaultValue `true`
   */
  dogslowReports?: boolean
  /**
   * Tags added to every metric in DogStatsD / Telegraf mode (ignored in Graphite mode).
   * @defaultValue `{}`
   */
  globalTags?: Record<string, string>
}

/** Tags of one metric: in Graphite mode their values become key segments, in their order. */
export type MetricTags = Record<string, string | number>

/** A configured StatsD client with the toolkit's metrics. */
export interface Stats {
  /** Lifecycle hooks for one of core's adapters (when `requests: false`). */
  readonly hooks: import('@intro/core').LifecycleHooks
  /** Records a timing in milliseconds. */
  timing(name: string, ms: number, tags?: MetricTags): void
  /** Adds `value` (default 1) to a counter. */
  increment(name: string, value?: number, tags?: MetricTags): void
  /** Sets a gauge. */
  gauge(name: string, value: number, tags?: MetricTags): void
  /**
   * Runs `fn` and records its duration as the timer `timers.<name>` (when its promise settles,
   * for async functions); also registered as an operation of the current request.
   */
  time<T>(name: string, fn: () => T, tags?: MetricTags): T
  /** Counts an exception (`exceptions`); call it from a framework error handler. */
  recordException(error?: unknown): void
  /** Metrics dropped because the StatsD socket could not keep up or could not be reached. */
  readonly dropped: number
  /** Stops intervals and subscriptions, flushes the buffer and closes the socket. */
  close(): Promise<void>
}
