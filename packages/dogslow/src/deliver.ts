import diagnosticsChannel from 'node:diagnostics_channel'
import { reportDiagnostic } from '@intro/core'
import { DogslowError, DogslowErrorCode } from './errors.js'
import { formatDuration } from './format.js'
import { EmailSink } from './sinks/email-sink.js'
import { writeStderrSummary } from './sinks/stderr-summary.js'
import { appendToReportFile, appendToReportFileSync, reportFileName, writeReportFile } from './sinks/file-sink.js'
import type { DogslowCompletion, DogslowDump, DogslowReport, ResolvedSettings } from './types.js'

/** Channel every report is published on (`{ report, text }`); @intro/stats counts them from here. */
export const REPORT_CHANNEL = 'intro:dogslow:report'
/** The follow-up's account of an untracked wait: where the request's code went on, and when. */
function resumedText(resumed: DogslowCompletion['resumed']): string {
  if (resumed === undefined) return ''
  if (resumed === null) return '; its code never ran again after the report (a promise that never settled, a callback that never came)'
  const { where } = resumed
  return `; it resumed ${formatDuration(resumed.atMs)} in, on a ${resumed.via}, at ${where.functionName || '<anonymous>'} (${where.file}:${where.line})`
}

/** Channel of the follow-up when a reported request completes (`DogslowCompletion`). */
export const COMPLETE_CHANNEL = 'intro:dogslow:complete'

const reportChannel = diagnosticsChannel.channel(REPORT_CHANNEL)
const completeChannel = diagnosticsChannel.channel(COMPLETE_CHANNEL)

/** How a report reaches the sinks when the watchdog thread already wrote its file. */
export interface PreWritten {
  file?: string
  fileError?: unknown
}

/**
 * Fans one report out to every configured sink. Each sink runs on its own: a failing sink is
 * reported to core's diagnostics (once until it works again) and never stops the others.
 */
export class Delivery {
  readonly #settings: ResolvedSettings
  readonly #email: EmailSink | undefined
  readonly #failing = new Set<string>()
  readonly #pending = new Set<Promise<unknown>>()

  constructor(settings: ResolvedSettings) {
    this.#settings = settings
    this.#email = settings.email === undefined ? undefined : new EmailSink(settings.email)
  }

  /** Reports a sink failure once, until the same sink (or the same `key` of it) succeeds again. */
  sinkFailed(sink: string, error: unknown, key: string = sink): void {
    if (this.#failing.has(key)) return
    this.#failing.add(key)
    reportDiagnostic({
      level: 'error',
      scope: `dogslow.sink.${sink}`,
      message: `the ${sink} sink failed; further failures of this sink are not reported until it works again`,
      error: new DogslowError(`dogslow ${sink} sink failed`, { code: DogslowErrorCode.sinkFailed, cause: error }),
    })
  }

  #ok(key: string): void {
    this.#failing.delete(key)
  }

  #track<T>(promise: Promise<T>): void {
    this.#pending.add(promise)
    promise.finally(() => this.#pending.delete(promise)).catch(() => {})
  }

  /**
   * Runs a synchronous sink (logger, channel, user callback). `key` tells apart calls of one sink
   * that fail independently (a logger whose `warn` throws while `info` works): each is reported
   * once until it works again. A callback's rejected promise counts as a failure too.
   */
  #sync(sink: string, run: () => unknown, key: string = sink): void {
    try {
      const result = run()
      if (result instanceof Promise) {
        // Not tracked: close() must not wait on a user's promise that may never settle.
        result.then(
          () => this.#ok(key),
          (error: unknown) => this.sinkFailed(sink, error, key),
        )
        return
      }
      this.#ok(key)
    } catch (error) {
      this.sinkFailed(sink, error, key)
    }
  }

  #async(sink: string, run: () => Promise<unknown>, key: string = sink): void {
    const promise = (async () => {
      try {
        await run()
        this.#ok(key)
      } catch (error) {
        this.sinkFailed(sink, error, key)
      }
    })()
    this.#track(promise)
  }

  /** Deliveries in progress. */
  get pendingCount(): number {
    return this.#pending.size
  }

  /** Where a report of this request goes on disk (used by the watchdog thread too). */
  fileName(time: number, requestId: string): string {
    return reportFileName(time, requestId)
  }

  /** Delivers one report; `preWritten` when the watchdog thread already wrote (or failed to write) the file. */
  deliver(report: DogslowReport, text: string, preWritten?: PreWritten): Promise<void> {
    const settings = this.#settings
    const fileDone = (async () => {
      if (!settings.logToFile) return
      if (preWritten !== undefined) {
        if (preWritten.file !== undefined) {
          report.file = preWritten.file
          this.#ok('file')
        } else this.sinkFailed('file', preWritten.fileError)
        return
      }
      try {
        report.file = await writeReportFile(settings.outputDir, this.fileName(report.interceptedAt, report.request.id), text)
        this.#ok('file')
      } catch (error) {
        this.sinkFailed('file', error)
      }
    })()
    this.#track(fileDone)
    if (settings.stderrSummary) {
      this.#track(fileDone.then(() => this.#sync('stderr', () => writeStderrSummary(report))))
    }
    const logger = settings.logger
    if (logger !== undefined) {
      const level = logger[settings.logLevel] === undefined ? 'warn' : settings.logLevel
      this.#sync('logger', () => logger[level]?.call(logger, { dogslow: report }, text), `logger.${level}`)
    }
    const email = this.#email
    if (email !== undefined) this.#async('email', () => email.send(report, text))
    if (reportChannel.hasSubscribers) this.#sync('channel', () => reportChannel.publish({ report, text }))
    const onReport = settings.onReport
    if (onReport !== undefined) {
      // After the file, so the callback sees `report.file`.
      this.#track(fileDone.then(() => this.#sync('callback', () => onReport(report, text))))
    }
    return fileDone
  }

  /** Delivers an on-demand dump to the file and the logger. */
  async deliverDump(dump: DogslowDump, text: string): Promise<void> {
    const settings = this.#settings
    if (settings.logToFile) {
      try {
        dump.file = await writeReportFile(settings.outputDir, reportFileName(dump.interceptedAt, 'dump', 'inflight_requests'), text)
        this.#ok('file')
      } catch (error) {
        this.sinkFailed('file', error)
      }
    }
    const logger = settings.logger
    if (logger !== undefined) this.#sync('logger', () => logger.warn({ dogslow: dump }, text), 'logger.warn')
  }

  /** The short follow-up when a reported request finally completes. */
  complete(completion: DogslowCompletion): void {
    const status = completion.aborted ? 'aborted by the client' : `completed with status ${completion.statusCode}`
    const line = `Slow request ${completion.requestId} (${completion.method ?? ''} ${completion.url ?? ''}) ${status} after ${formatDuration(completion.durationMs)}${resumedText(completion.resumed)}`
    const logger = this.#settings.logger
    if (logger !== undefined) this.#sync('logger', () => logger.info({ dogslow: completion }, line), 'logger.info')
    const file = completion.file
    if (file !== undefined) this.#async('file', () => appendToReportFile(file, `\n${line}\n`), 'file.append')
    if (completeChannel.hasSubscribers) this.#sync('channel', () => completeChannel.publish(completion))
    const onComplete = this.#settings.onComplete
    if (onComplete !== undefined) this.#sync('callback', () => onComplete(completion), 'callback.onComplete')
  }

  /** Appends to a report file now (the loop was just freed, and the details belong right after the report). */
  appendNow(file: string, text: string): void {
    this.#sync('file', () => appendToReportFileSync(file, text), 'file.append')
  }

  /** Announces reports dropped by the rate limit. */
  suppressed(count: number): void {
    const message = `${count} slow-request report(s) suppressed by the rate limit`
    reportDiagnostic({ level: 'warn', scope: 'dogslow.rate-limit', message })
    const logger = this.#settings.logger
    if (logger !== undefined) this.#sync('logger', () => logger.warn({ dogslow: { suppressed: count } }, message), 'logger.warn')
  }

  /** Waits for deliveries in progress, then closes the SMTP transport. */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    this.#email?.close()
  }
}
