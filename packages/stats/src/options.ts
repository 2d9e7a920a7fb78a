import { type IntegrationOptions, checkBoolean, checkEnum, checkInteger, checkObject, checkString, optional, rejectUnknownKeys } from '@intro/core'
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
  requestsWarningMs: number
  operations: boolean
  integrations: IntegrationOptions | false
  processIntervalMs: number
  exceptions: boolean
  dogslowReports: boolean
  globalTags: Record<string, string>
}

const STATS_OPTIONS = [
  'host',
  'port',
  'prefix',
  'mode',
  'maxBufferSize',
  'flushIntervalMs',
  'maxPacketsInFlight',
  'dnsTtlMs',
  'requests',
  'requestsWarningMs',
  'operations',
  'integrations',
  'processIntervalMs',
  'exceptions',
  'dogslowReports',
  'globalTags',
] as const
const everyOptionListed: [Exclude<keyof StatsOptions, (typeof STATS_OPTIONS)[number]>] extends [never] ? true : never = true
void everyOptionListed

// StatsD's line protocol is `name:value|type|@rate|#tags`, one metric per line: any of these in
// the prefix or a tag would end the name early or forge another metric.
const WIRE_DELIMITERS = /[\s:|@#,]/
const WIRE_RULES = { forbidden: WIRE_DELIMITERS, forbiddenDescription: "whitespace or ':', '|', '@', '#', ','", maxLength: 200 }

const INTEGRATIONS = ['pg', 'mysql2', 'ioredis', 'fetch', 'http', 'childProcess', 'fs']

function integrations(value: unknown, operations: boolean): IntegrationOptions | false {
  if (value === undefined) return operations ? {} : false
  if (typeof value === 'boolean') return value ? {} : false
  const object = checkObject('integrations', value)
  rejectUnknownKeys('integrations', object, INTEGRATIONS)
  for (const [key, on] of Object.entries(object)) checkBoolean(`integrations.${key}`, on)
  return { ...(object as IntegrationOptions) }
}

function envPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.STATSD_PORT
  if (raw === undefined || raw === '') return undefined
  return checkInteger('STATSD_PORT', Number(raw), 1, 65535)
}

function checkTags(tags: unknown): Record<string, string> {
  const object = checkObject('globalTags', tags)
  for (const [key, value] of Object.entries(object)) {
    checkString(`globalTags key ${JSON.stringify(key.slice(0, 40))}`, key, WIRE_RULES)
    checkString(`globalTags.${key}`, value, WIRE_RULES)
  }
  return object as Record<string, string>
}

function normalizePrefix(prefix: string): string {
  if (prefix === '') return ''
  return prefix.endsWith('.') ? prefix : `${prefix}.`
}

/** Applies defaults and `STATSD_*` variables; throws TypeError/RangeError (`ERR_INTRO_INVALID_OPTION`) on a bad option or an unknown key. */
export function resolveStatsOptions(
  options: StatsOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedStatsOptions {
  checkObject('options', options)
  rejectUnknownKeys('createStats options', options, STATS_OPTIONS)
  const bool = (name: 'requests' | 'operations' | 'exceptions' | 'dogslowReports') => optional(options[name], (v) => checkBoolean(name, v), true)
  const prefix = checkString('prefix', options.prefix ?? env.STATSD_PREFIX ?? '', { ...WIRE_RULES, allowEmpty: true })
  return {
    host: checkString('host', options.host ?? (env.STATSD_HOST || '127.0.0.1'), { maxLength: 253, forbidden: /\s/, forbiddenDescription: 'whitespace' }),
    port: checkInteger('port', options.port ?? envPort(env) ?? 8125, 1, 65535),
    prefix: normalizePrefix(prefix),
    mode: checkEnum('mode', options.mode ?? (env.STATSD_MODE || 'graphite'), Object.values(Modes)),
    maxBufferSize: checkInteger('maxBufferSize', options.maxBufferSize ?? 1432, 0, 65_000),
    flushIntervalMs: checkInteger('flushIntervalMs', options.flushIntervalMs ?? 1000, 1, 3_600_000),
    maxPacketsInFlight: checkInteger('maxPacketsInFlight', options.maxPacketsInFlight ?? 100, 1, 1_000_000),
    dnsTtlMs: checkInteger('dnsTtlMs', options.dnsTtlMs ?? 60_000, 1000, 86_400_000),
    requests: bool('requests'),
    requestsWarningMs: checkInteger('requestsWarningMs', options.requestsWarningMs ?? 60_000, 0, 86_400_000),
    operations: bool('operations'),
    integrations: integrations(options.integrations, options.operations !== false),
    processIntervalMs: checkInteger('processIntervalMs', options.processIntervalMs ?? 10_000, 0, 3_600_000),
    exceptions: bool('exceptions'),
    dogslowReports: bool('dogslowReports'),
    globalTags: optional(options.globalTags, checkTags, {}),
  }
}
