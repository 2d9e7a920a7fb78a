import type { Server } from 'node:http'

/** What every started server has. */
export interface StartedServer {
  /** Always `127.0.0.1`. */
  readonly host: string
  readonly port: number
  /** Stops the server and removes its temporary files. Safe to call more than once. */
  stop(): Promise<void>
}

export interface StartOptions {
  /**
   * How long to wait for the server to answer before failing.
   * @defaultValue 15000 (30000 for PostgreSQL)
   */
  startTimeoutMs?: number
}

export interface StartRedisOptions extends StartOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: readonly string[]
}

export interface RedisServer extends StartedServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** redis-server's own log, until `stop()` removes it. */
  readonly logPath: string
}

export interface StartPostgresOptions extends StartOptions {
  /** Extra server settings passed as `-c name=value`; they override the defaults. */
  settings?: Record<string, string>
}

export interface PostgresServer extends StartedServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password). */
  readonly connectionString: string
  /** Superuser name: `postgres`. */
  readonly user: string
  /** Database that exists from the start: `postgres`. */
  readonly database: string
  /** Server log with every statement (`log_statement=all`), until `stop()` removes it. */
  readonly logPath: string
  /** The server log so far. */
  readLog(): string
}

export interface StartStatsdOptions extends StartOptions {
  /**
   * How often the daemon flushes, in milliseconds.
   * @defaultValue 200
   */
  flushIntervalMs?: number
  /**
   * Leave metrics that received nothing since the last flush out of the next one.
   * @defaultValue true
   */
  deleteIdleStats?: boolean
}

/** One flush of the statsd daemon, as its backends receive it. Includes statsd's own `statsd.*` counters. */
export interface StatsdSnapshot {
  /** Unix time of the flush, in seconds. */
  timestamp: number
  counters: Record<string, number>
  gauges: Record<string, number>
  /** Raw timing values received since the previous flush, per metric. */
  timers: Record<string, number[]>
  /** statsd's aggregates per timer: count, mean, upper, lower, percentiles... */
  timerData: Record<string, Record<string, unknown>>
  counterRates: Record<string, number>
  sets: Record<string, string[]>
}

export interface StatsdServer extends StartedServer {
  /** UDP port the daemon listens on. */
  readonly port: number
  /** The daemon's log, until `stop()` removes it. */
  readonly logPath: string
  /** Every flush received so far, oldest first. */
  flushed(): StatsdSnapshot[]
  /** The first flush (already received or still to come) for which `predicate` is true. */
  waitFor(predicate: (snapshot: StatsdSnapshot) => boolean, timeoutMs?: number): Promise<StatsdSnapshot>
  /** Sum of a counter over every flush so far. */
  counterTotal(name: string): number
  /** Every timing value of a timer over every flush so far. */
  timerValues(name: string): number[]
}

export interface StartMysqlOptions extends StartOptions {
  /** Extra `mariadbd` options, e.g. `['--max-prepared-stmt-count=10']`; they come last and override the defaults. */
  args?: readonly string[]
}

export interface MysqlServer extends StartedServer {
  /** Superuser name: `root` (no password). */
  readonly user: string
  /** Always `''`. */
  readonly password: string
  /** Database that exists from the start: `test`. */
  readonly database: string
  /** `mysql://root@127.0.0.1:<port>/test` */
  readonly url: string
  /** The server's error log (start-up, shutdown, warnings), until `stop()` removes it. */
  readonly logPath: string
  /** General query log: every statement the server received, as received, until `stop()` removes it. */
  readonly generalLogPath: string
  /** The general query log so far. */
  readGeneralLog(): string
}

export interface StartSmtpOptions {
  /** Port to listen on. @defaultValue a free port */
  port?: number
}

/** A message the SMTP server accepted. */
export interface ReceivedMessage {
  /** Envelope sender (MAIL FROM). */
  from: string
  /** Envelope recipients (RCPT TO). */
  to: string[]
  subject: string
  text: string
  html: string | undefined
  /** Header values by lower-case name (the last one wins when repeated). */
  headers: Record<string, string>
  attachments: { filename: string | undefined; contentType: string; content: Buffer }[]
  /** The message as received. */
  raw: string
}

export interface SmtpServer extends StartedServer {
  /** Messages received so far, oldest first. */
  readonly messages: readonly ReceivedMessage[]
  /**
   * The first message (already received or still to come) that matches `predicate`.
   * @defaultValue timeoutMs 5000, predicate: any message
   */
  waitForMessage(timeoutMs?: number, predicate?: (message: ReceivedMessage) => boolean): Promise<ReceivedMessage>
}

export interface HttpServer extends StartedServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly server: Server
}
