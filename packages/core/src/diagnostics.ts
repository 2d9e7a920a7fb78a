import diagnosticsChannel from 'node:diagnostics_channel'
import { describeValue, invalidOption } from './options.js'

/** Severity of a {@link DiagnosticEvent}. */
export type DiagnosticLevel = 'error' | 'warn' | 'info'

/** A failure or notice of the toolkit itself (a sink that failed, a hook that threw, StatsD unreachable). */
export interface DiagnosticEvent {
  level: DiagnosticLevel
  /** Where it happened, e.g. `dogslow.sink.email`. */
  scope: string
  message: string
  error?: unknown
  /**
   * An `info` event a user should see without subscribing (a start-up choice made for them):
   * printed to stderr like a warning when nobody subscribes. Other `info` events are not.
   */
  announce?: boolean
}

/** Name of the `node:diagnostics_channel` every toolkit failure is published on. */
export const DIAGNOSTICS_CHANNEL = 'intro:diagnostics'

const channel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNEL)

// Without a subscriber, failures still have to be seen once, but a sink failing on every
// request must not flood stderr: print each distinct scope+message at most once a minute.
const REPEAT_AFTER_MS = 60_000
const MAX_REMEMBERED = 1_000
const lastPrinted = new Map<string, number>()

function printFallback(event: DiagnosticEvent): void {
  if (process.env.INTRO_DIAGNOSTICS === 'silent') return
  const key = `${event.scope}\0${event.message}`
  const now = Date.now()
  const last = lastPrinted.get(key)
  if (last !== undefined && now - last < REPEAT_AFTER_MS) return
  if (lastPrinted.size >= MAX_REMEMBERED) lastPrinted.clear()
  lastPrinted.set(key, now)
  const cause = event.error instanceof Error ? `: ${event.error.message}` : event.error === undefined ? '' : `: ${String(event.error)}`
  process.stderr.write(`[intro] ${event.level} ${event.scope}: ${event.message}${cause}\n`)
}

/**
 * Reports a failure or notice of the toolkit. Never throws.
 *
 * Subscribers of {@link DIAGNOSTICS_CHANNEL} receive every event; with none, errors, warnings
 * and announced notices are printed to stderr, rate-limited (set `INTRO_DIAGNOSTICS=silent` to mute).
 */
export function reportDiagnostic(event: DiagnosticEvent): void {
  try {
    if (channel.hasSubscribers) channel.publish(event)
    else if (event.level !== 'info' || event.announce === true) printFallback(event)
  } catch {
    // A throwing subscriber must not turn a diagnostic into an app failure.
  }
}

/**
 * Subscribes to the toolkit's diagnostics; returns the unsubscribe function.
 *
 * @example
 * ```ts
 * onDiagnostic((event) => logger.warn({ err: event.error }, `${event.scope}: ${event.message}`))
 * ```
 */
export function onDiagnostic(listener: (event: DiagnosticEvent) => void): () => void {
  if (typeof listener !== 'function') throw invalidOption(TypeError, `Expected \`listener\` to be a function, got ${describeValue(listener)}`)
  // diagnostics_channel rethrows a subscriber's exception on the next tick as an uncaught
  // exception, which would crash the app; a broken listener falls back to stderr instead.
  const handler = (message: unknown) => {
    try {
      listener(message as DiagnosticEvent)
    } catch (error) {
      printFallback({ level: 'error', scope: 'core.diagnostics.listener', message: 'diagnostics listener threw', error })
    }
  }
  channel.subscribe(handler)
  return () => {
    channel.unsubscribe(handler)
  }
}

/**
 * Runs user or sink code so that it can never break the host app: a synchronous throw or an
 * asynchronous rejection is reported to the diagnostics channel under `scope` and swallowed.
 * Returns what `fn` returned, or `undefined` when it threw.
 */
export function safeExecute<T>(scope: string, fn: () => T): T | undefined {
  try {
    const result = fn()
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        reportDiagnostic({ level: 'error', scope, message: 'failed', error })
        return undefined
      }) as T
    }
    return result
  } catch (error) {
    reportDiagnostic({ level: 'error', scope, message: 'failed', error })
    return undefined
  }
}
