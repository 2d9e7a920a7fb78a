import type { IncomingMessage } from 'node:http'
import type { RedisOptions } from 'ioredis'
import type { GeordiFramework } from './frameworks.js'

/**
 * Decides whether a request comes from someone allowed to profile and to see technical error
 * pages. Receives the framework's own request object (Express `req`, Fastify `request`, Koa
 * `ctx`, or Node's `IncomingMessage`). A throw or rejection counts as "no".
 *
 * @example
 * ```ts
 * authorize: (req) => req.user?.isAdmin === true
 * ```
 */
export type AuthorizeHook<Req = IncomingMessage> = (request: Req) => boolean | Promise<boolean>

/**
 * Names the admin a request comes from, for `maxPendingJobsPerAdmin`. Receives what `authorize`
 * receives. A throw or rejection falls back to the default key (a hash of the request's `Cookie`
 * and `Authorization` headers).
 *
 * @example
 * ```ts
 * adminKey: (req) => req.user.id
 * ```
 */
export type AdminKeyHook<Req = IncomingMessage> = (request: Req) => string | Promise<string>

/** Where jobs run: on BullMQ workers, or in the web process itself. */
export const GeordiModes = {
  /** BullMQ when a Redis URL is configured, inline otherwise. */
  auto: 'auto',
  /** Always BullMQ (a Redis URL is required). */
  queue: 'queue',
  /** Profile inside the web process. Not for production: the profile includes everything the process does. */
  inline: 'inline',
} as const

/** One of {@link GeordiModes}. */
export type GeordiMode = (typeof GeordiModes)[keyof typeof GeordiModes]

/** Options shared by the web side ({@link createGeordi}) and the worker ({@link startGeordiWorker}). */
export interface GeordiSharedOptions {
  /**
   * Redis to queue jobs on. Whenever one is configured, BullMQ is used.
   * Env: `GEORDI_REDIS_URL`, then `REDIS_URL`.
   * @defaultValue none (inline mode on the web side; `redis://127.0.0.1:6379` for the worker)
   * @example 'redis://127.0.0.1:6379/0'
   */
  redisUrl?: string
  /** Extra ioredis options (TLS, password, db...). `maxRetriesPerRequest` is managed by geordi. */
  redisOptions?: RedisOptions
  /**
   * BullMQ queue name; web processes and workers must agree. Env: `GEORDI_QUEUE`.
   * @defaultValue 'intro-geordi'
   */
  queueName?: string
  /**
   * BullMQ key prefix. Env: `GEORDI_QUEUE_PREFIX`.
   * @defaultValue 'bull'
   */
  queuePrefix?: string
  /**
   * Directory holding each job's `status.json`, PDF, SVG and `.cpuprofile`. Web processes and
   * workers must see the same directory (a shared volume when they run on several machines).
   * Env: `GEORDI_OUT_DIR`.
   * Must belong to the user geordi runs as and not be writable by group or others
   * (`ERR_GEORDI_UNSAFE_OUT_DIR` otherwise); job directories are created 0700, files 0600.
   * @defaultValue `${os.tmpdir()}/intro-geordi-<uid>` (created 0700)
   */
  outDir?: string
  /** Environment to read the `GEORDI_*` variables from. @defaultValue process.env */
  env?: Record<string, string | undefined>
}

/** Options of {@link createGeordi}. */
export interface GeordiOptions<Req = IncomingMessage> extends GeordiSharedOptions {
  /**
   * Who may use `?__geordi__` and see technical error pages. Without it nobody may (and a
   * warning is reported at start-up).
   * @defaultValue none: disabled
   */
  authorize?: AuthorizeHook<Req>
  /**
   * The framework whose adapters you install: `authorize` and `adminKey` are then typed with its
   * request (Express `Request`, `FastifyRequest`, Koa `Context`, Node's `IncomingMessage` for
   * `'node'`) without a type argument, and an adapter of another framework throws
   * `ERR_GEORDI_FRAMEWORK_MISMATCH`.
   * @defaultValue none: any adapter; the hooks get `IncomingMessage` unless typed otherwise
   * @example 'express'
   */
  framework?: GeordiFramework
  /**
   * `auto` uses BullMQ when a Redis URL is configured and inline profiling otherwise.
   * Env: `GEORDI_MODE`.
   * @defaultValue 'auto'
   */
  mode?: GeordiMode
  /**
   * Largest request body copied into the job; a larger one gets a 413 page. Env: `GEORDI_MAX_BODY_BYTES`.
   * @defaultValue 1048576
   */
  maxBodyBytes?: number
  /**
   * V8 sampling interval in microseconds. Env: `GEORDI_SAMPLING_INTERVAL_US`.
   * @defaultValue 1000
   */
  samplingIntervalUs?: number
  /**
   * Fewest samples a profile should hold. A request shorter than `minSamples × samplingIntervalUs`
   * (0.5 s by default) would give fewer, so a second profiler samples every
   * `samplingIntervalUs / 20` µs (50 µs; at least 20) for that long, and a request that ends
   * within it is reported from that fine profile. 0: only the `samplingIntervalUs` profile. Env:
   * `GEORDI_MIN_SAMPLES`.
   * @defaultValue 500
   */
  minSamples?: number
  /**
   * How long the replayed request may run before the job fails. Env: `GEORDI_TIME_LIMIT_MS`.
   * @defaultValue 60000
   */
  timeLimitMs?: number
  /**
   * How long a job may wait for a worker before it is removed and reported as failed.
   * Env: `GEORDI_QUEUE_TIMEOUT_MS`.
   * @defaultValue 60000
   */
  queueTimeoutMs?: number
  /**
   * How long adding the job to Redis may take before the admin gets an error page.
   * Env: `GEORDI_ENQUEUE_TIMEOUT_MS`.
   * @defaultValue 5000
   */
  enqueueTimeoutMs?: number
  /**
   * How long rendering the call graph and PDF may take before the job counts as failed.
   * Env: `GEORDI_RENDER_TIMEOUT_MS`.
   * @defaultValue 60000
   */
  renderTimeoutMs?: number
  /**
   * How long results (status, PDF, SVG, profile) are kept and served. Env: `GEORDI_RESULT_TTL_MS`.
   * @defaultValue 3600000
   */
  resultTtlMs?: number
  /**
   * Also replay methods other than GET and HEAD (POST, PUT, DELETE…). A replay runs the request a
   * second time, side effects included, so they get a 405 page unless this is on.
   * Env: `GEORDI_REPLAY_UNSAFE_METHODS`.
   * @defaultValue false
   */
  replayUnsafeMethods?: boolean
  /**
   * Most jobs of this web process that may be unfinished (queued, running or rendering) at once;
   * one more gets a 429 page with `Retry-After`. Env: `GEORDI_MAX_PENDING_JOBS`.
   * @defaultValue 20
   */
  maxPendingJobs?: number
  /**
   * Most unfinished jobs of one admin (see `adminKey`) in this web process; one more gets a 429
   * page with `Retry-After`. Env: `GEORDI_MAX_PENDING_JOBS_PER_ADMIN`.
   * @defaultValue 3
   */
  maxPendingJobsPerAdmin?: number
  /**
   * Who the admin is, for `maxPendingJobsPerAdmin`.
   * @defaultValue a hash of the request's `Cookie` and `Authorization` headers
   */
  adminKey?: AdminKeyHook<Req>
}

/** Options of {@link startGeordiWorker}. */
export interface GeordiWorkerOptions extends GeordiSharedOptions {
  /**
   * The app to replay requests against: a module path (resolved from the current directory),
   * or the app itself — a `node:http` request listener, an Express or Koa app, a Fastify
   * instance, an `http.Server`, or a factory (function of at most one argument) returning one.
   */
  app: string | unknown
  /**
   * Jobs run at once by this process. Profiles of jobs that overlap include each other's work,
   * so prefer more processes over more concurrency. Env: `GEORDI_CONCURRENCY`.
   * @defaultValue 1
   */
  concurrency?: number
  /**
   * Upper bound on any job's `timeLimitMs`, whatever the web side asked. Env: `GEORDI_MAX_TIME_LIMIT_MS`.
   * @defaultValue 300000
   */
  maxTimeLimitMs?: number
  /**
   * Most functions drawn in the call graph (passed to the renderer).
   * @defaultValue the renderer's default
   */
  callGraphMaxNodes?: number
}

/** Stage of a profiling job, in order; `done` and `failed` are final. */
export const JobStates = {
  queued: 'queued',
  running: 'running',
  rendering: 'rendering',
  done: 'done',
  failed: 'failed',
} as const

/** One of {@link JobStates}. */
export type JobState = (typeof JobStates)[keyof typeof JobStates]

/** Files of a finished job, by kind. */
export const ResultFiles = {
  pdf: 'profile.pdf',
  svg: 'profile.svg',
  cpuprofile: 'profile.cpuprofile',
  flame: 'profile.flame.svg',
  speedscope: 'profile.speedscope.json',
  pprof: 'profile.pb.gz',
} as const

/** One of the keys of {@link ResultFiles}. */
export type ResultFileKind = keyof typeof ResultFiles

/**
 * What `status.json` holds for a job and what `?__geordi__=<id>.json` answers. Headers and URLs
 * are redacted; nothing here is a credential.
 */
export interface JobStatus {
  version: 1
  id: string
  state: JobState
  /** Epoch milliseconds. */
  createdAt: number
  updatedAt: number
  expiresAt: number
  startedAt?: number
  finishedAt?: number
  /** `inline` or `queue`. */
  mode: 'inline' | 'queue'
  /** Finer-grained progress inside `running`/`rendering` (the renderer's stages). */
  stage?: string
  workerHost?: string
  limits: { timeLimitMs: number; queueTimeoutMs: number; renderTimeoutMs: number }
  request: { method: string; url: string }
  /**
   * Who started the job, as `adminKey` names them (redacted like any text), or `credentials
   * <hash prefix>` without that hook; shown on the `?__geordi__=recent` page.
   */
  admin?: string
  response?: { statusCode: number; headers: Record<string, unknown>; sizeBytes: number }
  timings?: { queuedMs?: number; wallMs?: number; cpuMs?: number; renderMs?: number }
  /**
   * How the reported profile was sampled: its interval, its sample count, and whether it is the
   * fine profile a short request gets (see `minSamples`).
   */
  sampling?: { intervalUs: number; samples: number; fine: boolean }
  /** Basenames inside the job's directory, once written. */
  files?: Partial<Record<ResultFileKind, string>>
  /** Top functions by self time, as the renderer reported them. */
  topSelf?: { name: string; selfPercent?: number; totalPercent?: number }[]
  error?: { code: string; message: string }
}
