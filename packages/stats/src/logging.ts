import { getContext } from '@intro/core'

/** Options of {@link pinoMixin}, {@link childLogger} and {@link consoleLogger}. */
export interface LogFieldsOptions {
  /**
   * Field that carries the correlation id.
   * @defaultValue `'requestId'`
   */
  idKey?: string
  /**
   * Add `route` (inside requests) and `job` / `args` (inside `runWithContext`).
   * @defaultValue `true`
   */
  details?: boolean
}

/** Fields describing the current context, for log lines; `{}` outside any context. */
export function logFields(options: LogFieldsOptions = {}): Record<string, unknown> {
  const context = getContext()
  if (context === undefined) return {}
  const fields: Record<string, unknown> = { [options.idKey ?? 'requestId']: context.id }
  if (options.details === false) return fields
  const route = context.route
  if (route !== undefined) fields.route = route
  if (context.name !== undefined) fields.job = context.name
  if (context.args !== undefined && context.args.length > 0) fields.args = context.args
  return fields
}

/**
 * A pino `mixin` that adds the correlation id (and route or job) to every log line written
 * inside a request or job.
 *
 * @example
 * ```ts
 * const logger = pino({ mixin: pinoMixin() })
 * ```
 */
export function pinoMixin(options: LogFieldsOptions = {}): () => Record<string, unknown> {
  return () => logFields(options)
}

interface ChildCapable<L> {
  child(bindings: Record<string, unknown>): L
}

/**
 * Returns `logger.child({ requestId, … })` for the current context, or `logger` itself outside
 * one — for loggers configured without {@link pinoMixin} (pino, bunyan, winston).
 *
 * @example
 * ```ts
 * childLogger(logger).info('order created')
 * ```
 */
export function childLogger<L extends ChildCapable<L>>(logger: L, options: LogFieldsOptions = {}): L {
  const fields = logFields(options)
  return Object.keys(fields).length === 0 ? logger : logger.child(fields)
}

/** The console methods {@link consoleLogger} provides. */
export interface ConsoleLikeLogger {
  debug(...args: unknown[]): void
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}

/**
 * A console-backed logger for apps without pino: each line starts with `[<request id>]` inside
 * a request or job.
 *
 * @example
 * ```ts
 * const log = consoleLogger()
 * log.info('order created') // [5f0c…] order created
 * ```
 */
export function consoleLogger(target: ConsoleLikeLogger = console): ConsoleLikeLogger {
  const wrap =
    (method: keyof ConsoleLikeLogger) =>
    (...args: unknown[]) => {
      const context = getContext()
      if (context === undefined) target[method](...args)
      else target[method](`[${context.id}]`, ...args)
    }
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') }
}
