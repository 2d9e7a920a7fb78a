import { FRAMEWORK_ADAPTERS, type GeordiFramework } from './frameworks.js'
import {
  checkBoolean,
  checkDurationMs,
  checkEnum,
  checkFunction,
  checkInteger,
  checkObject,
  checkString,
  envBoolean,
  envPositiveNumber,
  envString,
  invalidOption,
  optional,
  rejectUnknownKeys,
} from '@intro/core'
import type { RedisOptions } from 'ioredis'
import { defaultOutDir } from './private-dir.js'
import { type AdminKeyHook, type AuthorizeHook, type GeordiMode, GeordiModes, type GeordiOptions, type GeordiWorkerOptions } from './types.js'

type Env = Record<string, string | undefined>

/** Options of the shared parts, defaults and environment applied. */
export interface ResolvedShared {
  redisUrl: string | undefined
  redisOptions: RedisOptions
  queueName: string
  queuePrefix: string
  outDir: string
}

/** {@link GeordiOptions} with defaults and environment applied. */
export interface ResolvedGeordiOptions<Req> extends ResolvedShared {
  authorize: AuthorizeHook<Req> | undefined
  framework: GeordiFramework | undefined
  mode: 'inline' | 'queue'
  maxBodyBytes: number
  samplingIntervalUs: number
  minSamples: number
  timeLimitMs: number
  queueTimeoutMs: number
  enqueueTimeoutMs: number
  renderTimeoutMs: number
  resultTtlMs: number
  replayUnsafeMethods: boolean
  maxPendingJobs: number
  maxPendingJobsPerAdmin: number
  adminKey: AdminKeyHook<Req> | undefined
}

/** {@link GeordiWorkerOptions} with defaults and environment applied. */
export interface ResolvedWorkerOptions extends ResolvedShared {
  app: unknown
  redisUrl: string
  concurrency: number
  maxTimeLimitMs: number
  callGraphMaxNodes: number | undefined
}

// Every option, by factory. A key not listed is rejected at construction with a "did you mean"
// hint; the type checks below make a new option that is not listed here a compile error.
const SHARED_OPTIONS = ['redisUrl', 'redisOptions', 'queueName', 'queuePrefix', 'outDir', 'env'] as const
const WEB_OPTIONS = [
  ...SHARED_OPTIONS,
  'authorize',
  'framework',
  'mode',
  'maxBodyBytes',
  'samplingIntervalUs',
  'minSamples',
  'timeLimitMs',
  'queueTimeoutMs',
  'enqueueTimeoutMs',
  'renderTimeoutMs',
  'resultTtlMs',
  'replayUnsafeMethods',
  'maxPendingJobs',
  'maxPendingJobsPerAdmin',
  'adminKey',
] as const
const WORKER_OPTIONS = [...SHARED_OPTIONS, 'app', 'concurrency', 'maxTimeLimitMs', 'callGraphMaxNodes'] as const

type Unlisted<T, Listed extends readonly string[]> = Exclude<keyof T, Listed[number]>
const webOptionsListed: [Unlisted<GeordiOptions<unknown>, typeof WEB_OPTIONS>] extends [never] ? true : never = true
const workerOptionsListed: [Unlisted<GeordiWorkerOptions, typeof WORKER_OPTIONS>] extends [never] ? true : never = true
void webOptionsListed
void workerOptionsListed

function name(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback
  return checkString(option, value, { maxLength: 200, forbidden: /:/, forbiddenDescription: "':'" })
}

/** A duration option, else its environment variable, else the default; checked either way. */
function durationMs(value: unknown, option: string, env: Env, variable: string, fallback: number): number {
  return checkDurationMs(option, value ?? envPositiveNumber(env, variable) ?? fallback)
}

/** An integer option, else its environment variable, else the default; checked either way. */
function integer(value: unknown, option: string, env: Env, variable: string, fallback: number, min: number, max: number): number {
  return checkInteger(option, value ?? envPositiveNumber(env, variable) ?? fallback, min, max)
}

// 0 means something here (`minSamples`: no second run), and core's reader refuses it.
function countOrZero(value: unknown, option: string, env: Env, variable: string, fallback: number, max: number): number {
  const fromEnv = env[variable]?.trim() === '0' ? 0 : envPositiveNumber(env, variable)
  return checkInteger(option, value ?? fromEnv ?? fallback, 0, max)
}

function flag(value: unknown, option: string, env: Env, variable: string): boolean {
  return checkBoolean(option, value ?? envBoolean(env, variable) ?? false)
}

function resolveShared(options: GeordiOptions<unknown> | GeordiWorkerOptions, env: Env): ResolvedShared {
  const redisUrl = optional(options.redisUrl ?? envString(env, 'GEORDI_REDIS_URL') ?? envString(env, 'REDIS_URL'), (value) =>
    checkString('redisUrl', value),
  )
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw invalidOption(TypeError, `Expected \`redisUrl\` to be a redis:// or rediss:// URL, got ${JSON.stringify(redisUrl.slice(0, 80))}`)
  }
  const outDir = checkString('outDir', options.outDir ?? envString(env, 'GEORDI_OUT_DIR') ?? defaultOutDir(), { maxLength: 4096 })
  return {
    redisUrl,
    redisOptions: optional(options.redisOptions, (value) => checkObject('redisOptions', value), {}) as RedisOptions,
    queueName: name(options.queueName ?? envString(env, 'GEORDI_QUEUE'), 'queueName', 'intro-geordi'),
    queuePrefix: name(options.queuePrefix ?? envString(env, 'GEORDI_QUEUE_PREFIX'), 'queuePrefix', 'bull'),
    outDir,
  }
}

function resolveMode(mode: GeordiMode | undefined, env: Env, redisUrl: string | undefined): 'inline' | 'queue' {
  const chosen = checkEnum('mode', mode ?? envString(env, 'GEORDI_MODE') ?? GeordiModes.auto, Object.values(GeordiModes))
  if (chosen === 'queue' && redisUrl === undefined) {
    throw invalidOption(TypeError, "Expected `redisUrl` (or REDIS_URL) to be set when `mode` is 'queue', got undefined")
  }
  if (chosen === 'inline') return 'inline'
  return redisUrl === undefined ? 'inline' : 'queue'
}

/** Validates {@link GeordiOptions}; throws `TypeError`/`RangeError` (`ERR_INTRO_INVALID_OPTION`) naming the option. */
export function resolveGeordiOptions<Req>(options: GeordiOptions<Req>): ResolvedGeordiOptions<Req> {
  checkObject('options', options)
  rejectUnknownKeys('createGeordi options', options, WEB_OPTIONS)
  const env = optional(options.env, (value) => checkObject('env', value), process.env) as Env
  const shared = resolveShared(options as GeordiOptions<unknown>, env)
  return {
    ...shared,
    authorize: optional(options.authorize, (value) => checkFunction<AuthorizeHook<Req>>('authorize', value)),
    framework: optional(options.framework, (value) => checkEnum('framework', value, Object.keys(FRAMEWORK_ADAPTERS) as GeordiFramework[])),
    mode: resolveMode(options.mode, env, shared.redisUrl),
    maxBodyBytes: integer(options.maxBodyBytes, 'maxBodyBytes', env, 'GEORDI_MAX_BODY_BYTES', 1_048_576, 1, 1_073_741_824),
    // V8 samples in whole microseconds; past a second a profile holds almost nothing.
    samplingIntervalUs: integer(options.samplingIntervalUs, 'samplingIntervalUs', env, 'GEORDI_SAMPLING_INTERVAL_US', 1000, 1, 1_000_000),
    minSamples: countOrZero(options.minSamples, 'minSamples', env, 'GEORDI_MIN_SAMPLES', 500, 1_000_000),
    timeLimitMs: durationMs(options.timeLimitMs, 'timeLimitMs', env, 'GEORDI_TIME_LIMIT_MS', 60_000),
    queueTimeoutMs: durationMs(options.queueTimeoutMs, 'queueTimeoutMs', env, 'GEORDI_QUEUE_TIMEOUT_MS', 60_000),
    enqueueTimeoutMs: durationMs(options.enqueueTimeoutMs, 'enqueueTimeoutMs', env, 'GEORDI_ENQUEUE_TIMEOUT_MS', 5000),
    renderTimeoutMs: durationMs(options.renderTimeoutMs, 'renderTimeoutMs', env, 'GEORDI_RENDER_TIMEOUT_MS', 60_000),
    resultTtlMs: durationMs(options.resultTtlMs, 'resultTtlMs', env, 'GEORDI_RESULT_TTL_MS', 3_600_000),
    replayUnsafeMethods: flag(options.replayUnsafeMethods, 'replayUnsafeMethods', env, 'GEORDI_REPLAY_UNSAFE_METHODS'),
    maxPendingJobs: integer(options.maxPendingJobs, 'maxPendingJobs', env, 'GEORDI_MAX_PENDING_JOBS', 20, 1, 100_000),
    maxPendingJobsPerAdmin: integer(options.maxPendingJobsPerAdmin, 'maxPendingJobsPerAdmin', env, 'GEORDI_MAX_PENDING_JOBS_PER_ADMIN', 3, 1, 100_000),
    adminKey: optional(options.adminKey, (value) => checkFunction<AdminKeyHook<Req>>('adminKey', value)),
  }
}

/** Validates {@link GeordiWorkerOptions}; throws `TypeError`/`RangeError` (`ERR_INTRO_INVALID_OPTION`) naming the option. */
export function resolveWorkerOptions(options: GeordiWorkerOptions): ResolvedWorkerOptions {
  checkObject('options', options)
  rejectUnknownKeys('startGeordiWorker options', options, WORKER_OPTIONS)
  const env = optional(options.env, (value) => checkObject('env', value), process.env) as Env
  if (options.app === undefined || options.app === null || options.app === '') {
    throw invalidOption(TypeError, `Expected \`app\` to be a module path or an app, got ${String(options.app)}`)
  }
  const shared = resolveShared(options, env)
  return {
    ...shared,
    app: options.app,
    redisUrl: shared.redisUrl ?? 'redis://127.0.0.1:6379',
    concurrency: integer(options.concurrency, 'concurrency', env, 'GEORDI_CONCURRENCY', 1, 1, 1000),
    maxTimeLimitMs: durationMs(options.maxTimeLimitMs, 'maxTimeLimitMs', env, 'GEORDI_MAX_TIME_LIMIT_MS', 300_000),
    callGraphMaxNodes: optional(options.callGraphMaxNodes, (value) => checkInteger('callGraphMaxNodes', value, 1, 10_000)),
  }
}
