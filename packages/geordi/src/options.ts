import {
  assertIntegerInRange,
  assertOptionalFunction,
  assertPositiveNumber,
  describeValue,
  envBoolean,
  envPositiveNumber,
  envString,
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
  mode: 'inline' | 'queue'
  maxBodyBytes: number
  samplingIntervalUs: number
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

function name(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '' || value.includes(':')) {
    throw new TypeError(`Expected \`${option}\` to be a non-empty string without ':', got ${describeValue(value)}`)
  }
  return value
}

function positive(value: number | undefined, option: string, env: Env, variable: string, fallback: number): number {
  const chosen = value ?? envPositiveNumber(env, variable) ?? fallback
  assertPositiveNumber(option, chosen)
  return chosen
}

function integer(value: number | undefined, option: string, env: Env, variable: string, fallback: number): number {
  const chosen = value ?? envPositiveNumber(env, variable) ?? fallback
  assertIntegerInRange(option, chosen, 1, 100_000)
  return chosen
}

function flag(value: boolean | undefined, option: string, env: Env, variable: string): boolean {
  const chosen = value ?? envBoolean(env, variable) ?? false
  if (typeof chosen !== 'boolean') throw new TypeError(`Expected \`${option}\` to be a boolean, got ${describeValue(chosen)}`)
  return chosen
}

function resolveShared(options: GeordiOptions<unknown> | GeordiWorkerOptions, env: Env): ResolvedShared {
  const redisUrl = options.redisUrl ?? envString(env, 'GEORDI_REDIS_URL') ?? envString(env, 'REDIS_URL')
  if (redisUrl !== undefined && (typeof redisUrl !== 'string' || !/^rediss?:\/\//.test(redisUrl))) {
    throw new TypeError(`Expected \`redisUrl\` to be a redis:// or rediss:// URL, got ${describeValue(redisUrl)}`)
  }
  const outDir = options.outDir ?? envString(env, 'GEORDI_OUT_DIR') ?? defaultOutDir()
  if (typeof outDir !== 'string' || outDir === '') throw new TypeError(`Expected \`outDir\` to be a path, got ${describeValue(outDir)}`)
  return {
    redisUrl,
    redisOptions: options.redisOptions ?? {},
    queueName: name(options.queueName ?? envString(env, 'GEORDI_QUEUE'), 'queueName', 'intro-geordi'),
    queuePrefix: name(options.queuePrefix ?? envString(env, 'GEORDI_QUEUE_PREFIX'), 'queuePrefix', 'bull'),
    outDir,
  }
}

function resolveMode(mode: GeordiMode | undefined, env: Env, redisUrl: string | undefined): 'inline' | 'queue' {
  const chosen = mode ?? envString(env, 'GEORDI_MODE') ?? GeordiModes.auto
  if (!Object.values(GeordiModes).includes(chosen as GeordiMode)) {
    throw new RangeError(`Expected \`mode\` to be 'auto', 'queue' or 'inline', got ${describeValue(chosen)}`)
  }
  if (chosen === 'queue' && redisUrl === undefined) {
    throw new TypeError("Expected `redisUrl` (or REDIS_URL) to be set when `mode` is 'queue', got undefined")
  }
  if (chosen === 'inline') return 'inline'
  return redisUrl === undefined ? 'inline' : 'queue'
}

/** Validates {@link GeordiOptions}; throws `TypeError`/`RangeError` naming the option. */
export function resolveGeordiOptions<Req>(options: GeordiOptions<Req>): ResolvedGeordiOptions<Req> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`)
  }
  const env = options.env ?? process.env
  assertOptionalFunction('authorize', options.authorize)
  assertOptionalFunction('adminKey', options.adminKey)
  const shared = resolveShared(options as GeordiOptions<unknown>, env)
  return {
    ...shared,
    authorize: options.authorize,
    mode: resolveMode(options.mode, env, shared.redisUrl),
    maxBodyBytes: positive(options.maxBodyBytes, 'maxBodyBytes', env, 'GEORDI_MAX_BODY_BYTES', 1_048_576),
    samplingIntervalUs: positive(options.samplingIntervalUs, 'samplingIntervalUs', env, 'GEORDI_SAMPLING_INTERVAL_US', 1000),
    timeLimitMs: positive(options.timeLimitMs, 'timeLimitMs', env, 'GEORDI_TIME_LIMIT_MS', 60_000),
    queueTimeoutMs: positive(options.queueTimeoutMs, 'queueTimeoutMs', env, 'GEORDI_QUEUE_TIMEOUT_MS', 60_000),
    enqueueTimeoutMs: positive(options.enqueueTimeoutMs, 'enqueueTimeoutMs', env, 'GEORDI_ENQUEUE_TIMEOUT_MS', 5000),
    renderTimeoutMs: positive(options.renderTimeoutMs, 'renderTimeoutMs', env, 'GEORDI_RENDER_TIMEOUT_MS', 60_000),
    resultTtlMs: positive(options.resultTtlMs, 'resultTtlMs', env, 'GEORDI_RESULT_TTL_MS', 3_600_000),
    replayUnsafeMethods: flag(options.replayUnsafeMethods, 'replayUnsafeMethods', env, 'GEORDI_REPLAY_UNSAFE_METHODS'),
    maxPendingJobs: integer(options.maxPendingJobs, 'maxPendingJobs', env, 'GEORDI_MAX_PENDING_JOBS', 20),
    maxPendingJobsPerAdmin: integer(options.maxPendingJobsPerAdmin, 'maxPendingJobsPerAdmin', env, 'GEORDI_MAX_PENDING_JOBS_PER_ADMIN', 3),
    adminKey: options.adminKey,
  }
}

/** Validates {@link GeordiWorkerOptions}; throws `TypeError`/`RangeError` naming the option. */
export function resolveWorkerOptions(options: GeordiWorkerOptions): ResolvedWorkerOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`)
  }
  const env = options.env ?? process.env
  if (options.app === undefined || options.app === null || options.app === '') {
    throw new TypeError(`Expected \`app\` to be a module path or an app, got ${describeValue(options.app)}`)
  }
  const shared = resolveShared(options, env)
  const concurrency = options.concurrency ?? envPositiveNumber(env, 'GEORDI_CONCURRENCY') ?? 1
  assertIntegerInRange('concurrency', concurrency, 1, 1000)
  if (options.callGraphMaxNodes !== undefined) assertIntegerInRange('callGraphMaxNodes', options.callGraphMaxNodes, 1, 10_000)
  return {
    ...shared,
    app: options.app,
    redisUrl: shared.redisUrl ?? 'redis://127.0.0.1:6379',
    concurrency,
    maxTimeLimitMs: positive(options.maxTimeLimitMs, 'maxTimeLimitMs', env, 'GEORDI_MAX_TIME_LIMIT_MS', 300_000),
    callGraphMaxNodes: options.callGraphMaxNodes,
  }
}
