import { tmpdir } from 'node:os'
import { type IntegrationOptions, describeValue, envBoolean, envList, envPositiveNumber, envString, invalidOption, rejectUnknownKeys, secretKeyMatcher } from '@intro/core'
import { createStderrLogger } from './sinks/stderr-logger.js'
import type { DogslowLimits, DogslowLogLevel, DogslowOptions, DogslowRateLimit, ResolvedSettings } from './types.js'

type Env = Record<string, string | undefined>

const DEFAULT_LIMITS: Required<DogslowLimits> = {
  maxValueLength: 500,
  maxFrames: 30,
  maxFramesWithLocals: 10,
  maxLocalsPerFrame: 50,
  maxOperations: 20,
  maxDumpRequests: 200,
  maxHeaders: 100,
  maxQueryParameters: 100,
  maxReportBytes: 262_144,
}

const LEVELS: Record<string, DogslowLogLevel> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  critical: 'fatal',
}

const KNOWN_OPTIONS = [
  'enabled',
  'timerMs',
  'logToFile',
  'outputDir',
  'email',
  'logger',
  'stderrSummary',
  'logLevel',
  'ignoreUrls',
  'stackVars',
  'onReport',
  'onComplete',
  'signal',
  'rateLimit',
  'redactKeys',
  'limits',
  'watchBlocked',
  'inspector',
  'traceTimers',
  'integrations',
  'env',
  'trustUpstreamIds',
  'responseHeader',
] as const satisfies readonly (keyof DogslowOptions)[]

/** Configuration mistakes carry core's `ERR_INTRO_INVALID_OPTION` code on a TypeError/RangeError. */
function fail(Kind: typeof TypeError | typeof RangeError, message: string): never {
  throw invalidOption(Kind, message)
}

// Core's env readers throw plain errors; rethrow them with the code so every start-up failure looks alike.
function fromEnv<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    return fail(error instanceof RangeError ? RangeError : TypeError, (error as Error).message)
  }
}

function optBoolean(options: DogslowOptions, name: keyof DogslowOptions, env: Env, variable: string, fallback: boolean): boolean {
  const value = options[name]
  if (value !== undefined) {
    if (typeof value !== 'boolean') fail(TypeError, `Expected \`${name}\` to be a boolean, got ${describeValue(value)}`)
    return value
  }
  return fromEnv(() => envBoolean(env, variable)) ?? fallback
}

function resolveTimer(options: DogslowOptions, env: Env): number {
  const { timerMs } = options
  if (timerMs !== undefined) {
    if (typeof timerMs !== 'number') fail(TypeError, `Expected \`timerMs\` to be a number, got ${describeValue(timerMs)}`)
    if (!Number.isFinite(timerMs) || timerMs <= 0 || timerMs > 2_147_483_647) {
      fail(RangeError, `Expected \`timerMs\` to be a positive number of milliseconds, got ${describeValue(timerMs)}`)
    }
    return timerMs
  }
  const seconds = fromEnv(() => envPositiveNumber(env, 'DOGSLOW_TIMER'))
  if (seconds !== undefined && seconds * 1000 > 2_147_483_647) {
    fail(RangeError, `Expected environment variable DOGSLOW_TIMER to be at most 2147483 seconds, got ${describeValue(env.DOGSLOW_TIMER)}`)
  }
  return seconds === undefined ? 25_000 : seconds * 1000
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/

function resolveEmail(options: DogslowOptions, env: Env): ResolvedSettings['email'] {
  const { email } = options
  if (email === false) return undefined
  if (email !== undefined) {
    if (typeof email !== 'object' || email === null) fail(TypeError, `Expected \`email\` to be an object or false, got ${describeValue(email)}`)
    const to = typeof email.to === 'string' ? [email.to] : Array.isArray(email.to) ? [...email.to] : undefined
    if (to === undefined || to.length === 0 || !to.every((a) => typeof a === 'string' && EMAIL.test(a))) {
      fail(TypeError, `Expected \`email.to\` to be an address or a list of addresses, got ${describeValue(email.to)}`)
    }
    if (typeof email.from !== 'string' || !EMAIL.test(email.from)) {
      fail(TypeError, `Expected \`email.from\` to be an address, got ${describeValue(email.from)}`)
    }
    return { to, from: email.from, smtpUrl: checkSmtpUrl('email.smtpUrl', email.smtpUrl ?? envString(env, 'DOGSLOW_SMTP_URL')) }
  }
  const to = fromEnv(() => envList(env, 'DOGSLOW_EMAIL_TO'))
  const from = envString(env, 'DOGSLOW_EMAIL_FROM')
  if (to === undefined || from === undefined) return undefined
  for (const address of [...to, from]) {
    if (!EMAIL.test(address)) fail(TypeError, `Expected DOGSLOW_EMAIL_TO / DOGSLOW_EMAIL_FROM to hold addresses, got ${describeValue(address)}`)
  }
  return { to, from, smtpUrl: checkSmtpUrl('DOGSLOW_SMTP_URL', envString(env, 'DOGSLOW_SMTP_URL')) }
}

function checkSmtpUrl(name: string, value: unknown): string {
  if (value === undefined) return 'smtp://localhost:25'
  let parsed: URL | undefined
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:')) {
    fail(TypeError, `Expected \`${name}\` to be an smtp:// or smtps:// URL, got ${describeValue(value)}`)
  }
  return value as string
}

function resolveLogLevel(options: DogslowOptions, env: Env): DogslowLogLevel {
  const raw = options.logLevel ?? envString(env, 'DOGSLOW_LOG_LEVEL') ?? 'warning'
  const level = typeof raw === 'string' ? LEVELS[raw.toLowerCase()] : undefined
  if (level === undefined) {
    const name = options.logLevel === undefined ? 'environment variable DOGSLOW_LOG_LEVEL' : '`logLevel`'
    fail(RangeError, `Expected ${name} to be one of ${Object.keys(LEVELS).join(', ')}, got ${describeValue(raw)}`)
  }
  return level
}

function resolveLogger(options: DogslowOptions, env: Env): ResolvedSettings['logger'] {
  const { logger } = options
  const name = envString(env, 'DOGSLOW_LOGGER')
  if (logger === false) return undefined
  if (logger !== undefined) {
    if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function' || typeof logger.error !== 'function') {
      fail(TypeError, `Expected \`logger\` to be a pino-compatible logger (info/warn/error methods), got ${describeValue(logger)}`)
    }
    return name !== undefined && typeof logger.child === 'function' ? logger.child({ name }) : logger
  }
  return name === undefined ? undefined : createStderrLogger(name)
}

function parsePattern(entry: string): string | RegExp {
  const match = /^\/(.*)\/([a-z]*)$/.exec(entry)
  if (match === null) return entry
  try {
    return new RegExp(match[1] ?? '', match[2])
  } catch {
    return fail(TypeError, `Expected DOGSLOW_IGNORE_URLS patterns to be valid regular expressions, got ${describeValue(entry)}`)
  }
}

function resolveIgnore(options: DogslowOptions, env: Env): Pick<ResolvedSettings, 'ignoreNames' | 'ignorePatterns'> {
  const raw = options.ignoreUrls ?? (envString(env, 'DOGSLOW_IGNORE_URLS')?.split(',').map((s) => s.trim()).filter(Boolean) ?? []).map(parsePattern)
  if (!Array.isArray(raw)) fail(TypeError, `Expected \`ignoreUrls\` to be an array of strings and RegExps, got ${describeValue(raw)}`)
  const names = new Set<string>()
  const patterns: RegExp[] = []
  for (const entry of raw as unknown[]) {
    if (typeof entry === 'string' && entry !== '') names.add(entry)
    else if (entry instanceof RegExp) patterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')))
    else fail(TypeError, `Expected \`ignoreUrls\` entries to be route names or RegExps, got ${describeValue(entry)}`)
  }
  return { ignoreNames: names, ignorePatterns: patterns }
}

function resolveSignal(options: DogslowOptions, env: Env): NodeJS.Signals | undefined {
  const raw = options.signal ?? envString(env, 'DOGSLOW_SIGNAL') ?? false
  if (raw === false) return undefined
  const where = options.signal === undefined ? 'environment variable DOGSLOW_SIGNAL' : '`signal`'
  if (typeof raw !== 'string' || !/^SIG[A-Z0-9]+$/.test(raw)) fail(TypeError, `Expected ${where} to be a signal name, got ${describeValue(raw)}`)
  if (['SIGUSR1', 'SIGKILL', 'SIGSTOP'].includes(raw)) {
    fail(RangeError, `Expected ${where} to be a signal other than SIGUSR1 (the inspector's), SIGKILL and SIGSTOP, got ${describeValue(raw)}`)
  }
  return raw as NodeJS.Signals
}

function resolveRateLimit(options: DogslowOptions, env: Env): DogslowRateLimit | undefined {
  const { rateLimit } = options
  if (rateLimit === false) return undefined
  if (rateLimit !== undefined) {
    if (typeof rateLimit !== 'object' || rateLimit === null) fail(TypeError, `Expected \`rateLimit\` to be an object or false, got ${describeValue(rateLimit)}`)
    const { maxReports, intervalMs } = rateLimit
    if (!Number.isInteger(maxReports) || maxReports < 1) fail(RangeError, `Expected \`rateLimit.maxReports\` to be a positive integer, got ${describeValue(maxReports)}`)
    if (typeof intervalMs !== 'number' || !(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      fail(RangeError, `Expected \`rateLimit.intervalMs\` to be a positive number, got ${describeValue(intervalMs)}`)
    }
    return { maxReports, intervalMs }
  }
  const raw = envString(env, 'DOGSLOW_RATE_LIMIT')
  if (raw === undefined) return { maxReports: 20, intervalMs: 60_000 }
  if (/^(0|off|false|no)$/i.test(raw)) return undefined
  const match = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(raw)
  const maxReports = Number(match?.[1])
  const seconds = Number(match?.[2])
  if (match === null || maxReports < 1 || !(seconds > 0)) {
    fail(RangeError, `Expected environment variable DOGSLOW_RATE_LIMIT to be <reports>/<seconds> (e.g. 20/60) or off, got ${describeValue(raw)}`)
  }
  return { maxReports, intervalMs: seconds * 1000 }
}

function resolveRedaction(options: DogslowOptions, env: Env): Pick<ResolvedSettings, 'isSecret' | 'redact'> {
  const { redactKeys } = options
  if (redactKeys === false) return { isSecret: () => false, redact: false }
  if (redactKeys !== undefined && !(redactKeys instanceof RegExp) && !(Array.isArray(redactKeys) && redactKeys.every((k) => typeof k === 'string'))) {
    fail(TypeError, `Expected \`redactKeys\` to be a RegExp, a list of names or false, got ${describeValue(redactKeys)}`)
  }
  const keys = redactKeys ?? envList(env, 'DOGSLOW_REDACT')
  return { isSecret: secretKeyMatcher(keys === undefined ? {} : { keys }), redact: true }
}

function resolveLimits(options: DogslowOptions): Required<DogslowLimits> {
  const { limits } = options
  if (limits === undefined) return DEFAULT_LIMITS
  if (typeof limits !== 'object' || limits === null) fail(TypeError, `Expected \`limits\` to be an object, got ${describeValue(limits)}`)
  rejectUnknownKeys('dogslow `limits`', limits, Object.keys(DEFAULT_LIMITS))
  const out = { ...DEFAULT_LIMITS }
  for (const [key, value] of Object.entries(limits)) {
    if (value === undefined) continue
    if (!Number.isInteger(value) || (value as number) < 1) fail(RangeError, `Expected \`limits.${key}\` to be a positive integer, got ${describeValue(value)}`)
    out[key as keyof DogslowLimits] = value as number
  }
  return out
}

function resolveOutputDir(options: DogslowOptions, env: Env): string {
  const { outputDir } = options
  if (outputDir !== undefined && (typeof outputDir !== 'string' || outputDir === '')) {
    fail(TypeError, `Expected \`outputDir\` to be a directory path, got ${describeValue(outputDir)}`)
  }
  return outputDir ?? envString(env, 'DOGSLOW_OUTPUT') ?? tmpdir()
}

const INTEGRATIONS = ['pg', 'mysql2', 'ioredis', 'fetch', 'http', 'childProcess', 'fs'] as const

function resolveIntegrations(options: DogslowOptions, env: Env): IntegrationOptions | false {
  const { integrations } = options
  if (integrations === undefined) return (fromEnv(() => envBoolean(env, 'DOGSLOW_INTEGRATIONS')) ?? true) ? {} : false
  if (typeof integrations === 'boolean') return integrations ? {} : false
  if (typeof integrations !== 'object' || integrations === null) {
    fail(TypeError, `Expected \`integrations\` to be a boolean or an object, got ${describeValue(integrations)}`)
  }
  const out: IntegrationOptions = {}
  rejectUnknownKeys('integrations', integrations, INTEGRATIONS)
  for (const [key, value] of Object.entries(integrations)) {
    if (typeof value !== 'boolean') fail(TypeError, `Expected \`integrations.${key}\` to be a boolean, got ${describeValue(value)}`)
    out[key as (typeof INTEGRATIONS)[number]] = value
  }
  return out
}

/**
 * Merges options with the `DOGSLOW_*` environment variables (an explicit option wins) and
 * validates everything once; a mistake throws a TypeError/RangeError naming the setting.
 */
export function resolveSettings(options: DogslowOptions = {}): ResolvedSettings {
  if (typeof options !== 'object' || options === null) fail(TypeError, `Expected options to be an object, got ${describeValue(options)}`)
  rejectUnknownKeys('createDogslow options', options, KNOWN_OPTIONS)
  const env = options.env ?? process.env
  for (const name of ['onReport', 'onComplete'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      fail(TypeError, `Expected \`${name}\` to be a function, got ${describeValue(options[name])}`)
    }
  }
  const timerMs = resolveTimer(options, env)
  const logger = resolveLogger(options, env)
  return {
    enabled: optBoolean(options, 'enabled', env, 'DOGSLOW', true),
    timerMs,
    logToFile: optBoolean(options, 'logToFile', env, 'DOGSLOW_LOG_TO_FILE', true),
    outputDir: resolveOutputDir(options, env),
    email: resolveEmail(options, env),
    logger,
    // A report nobody sees is a report that does not exist: without a logger, stderr says where it went.
    stderrSummary: optBoolean(options, 'stderrSummary', env, 'DOGSLOW_STDERR_SUMMARY', logger === undefined && options.logger !== false),
    logLevel: resolveLogLevel(options, env),
    ...resolveIgnore(options, env),
    stackVars: optBoolean(options, 'stackVars', env, 'DOGSLOW_STACK_VARS', false),
    onReport: options.onReport,
    onComplete: options.onComplete,
    signal: resolveSignal(options, env),
    rateLimit: resolveRateLimit(options, env),
    ...resolveRedaction(options, env),
    limits: resolveLimits(options),
    watchBlocked: optBoolean(options, 'watchBlocked', env, 'DOGSLOW_WATCH_BLOCKED', true),
    inspector: optBoolean(options, 'inspector', env, 'DOGSLOW_INSPECTOR', true),
    traceTimers: optBoolean(options, 'traceTimers', env, 'DOGSLOW_TRACE_TIMERS', true),
    traceTimersMinMs: Math.min(1000, timerMs / 4),
    integrations: resolveIntegrations(options, env),
    trustUpstreamIds: options.trustUpstreamIds,
    responseHeader: options.responseHeader,
  }
}
