import { type StatsMode, StatsMode as Modes, type StatsOptions } from './types.js'

/** {@link StatsOptions} with defaults and environment variables applied. */
export interface ResolvedStatsOptions {
  host: string
  port: number
  prefix: string
  mode: StatsMode
  maxBufferSize: number
  flushIntervalMs: number
  maxPacketsInFlight: number
  dnsTtlMs: number
  requests: boolean
  operations: boolean
  processIntervalMs: number
  exceptions: boolean
  dogslowReports: boolean
  globalTags: Record<string, string>
}

function fail(option: string, expected: string, value: unknown): never {
  throw new TypeError(`Expected \`${option}\` to be ${expected}, got \`${String(value)}\``)
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(option, 'an integer', value)
  if (value < min || value > max) {
    throw new RangeError(`Expected \`${option}\` to be between ${min} and ${max}, got \`${value}\``)
  }
  return value
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(option, 'a boolean', value)
  return value
}

function envPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.STATSD_PORT
  if (raw === undefined || raw === '') return undefined
  const port = Number(raw)
  if (!Number.isInteger(port)) fail('STATSD_PORT', 'an integer', raw)
  return port
}

function normalizePrefix(prefix: string): string {
  if (prefix === '') return ''
  return prefix.endsWith('.') ? prefix : `${prefix}.`
}

/** Applies defaults and `STATSD_*` variables; throws TypeError/RangeError on a bad option. */
export function resolveStatsOptions(
  options: StatsOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedStatsOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options)
  const host = options.host ?? (env.STATSD_HOST || '127.0.0.1')
  if (typeof host !== 'string' || host === '') fail('host', 'a non-empty string', host)
  const port = integer('port', options.port ?? envPort(env) ?? 8125, 1, 65535)
  const prefix = options.prefix ?? env.STATSD_PREFIX ?? ''
  if (typeof prefix !== 'string') fail('prefix', 'a string', prefix)
  const mode = options.mode ?? ((env.STATSD_MODE || 'graphite') as StatsMode)
  if (!Object.values(Modes).includes(mode)) {
    fail('mode', `one of ${Object.values(Modes).join(', ')}`, mode)
  }
  const globalTags = options.globalTags ?? {}
  if (typeof globalTags !== 'object' || globalTags === null) fail('globalTags', 'an object', globalTags)
  return {
    host,
    port,
    prefix: normalizePrefix(prefix),
    mode,
    maxBufferSize: integer('maxBufferSize', options.maxBufferSize ?? 1432, 0, 65_000),
    flushIntervalMs: integer('flushIntervalMs', options.flushIntervalMs ?? 1000, 1, 3_600_000),
    maxPacketsInFlight: integer('maxPacketsInFlight', options.maxPacketsInFlight ?? 100, 1, 1_000_000),
    dnsTtlMs: integer('dnsTtlMs', options.dnsTtlMs ?? 60_000, 1000, 86_400_000),
    requests: bool('requests', options.requests, true),
    operations: bool('operations', options.operations, true),
    processIntervalMs: integer('processIntervalMs', options.processIntervalMs ?? 10_000, 0, 3_600_000),
    exceptions: bool('exceptions', options.exceptions, true),
    dogslowReports: bool('dogslowReports', options.dogslowReports, true),
    globalTags,
  }
}
