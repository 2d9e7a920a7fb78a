import { type RequestContext, getContext, redactUrl, safeExecute } from '@intro/core'
import type { Delivery } from './deliver.js'
import type { MonitorMessage } from './monitor-thread.js'
import type { RateLimiter } from './rate-limit.js'
import { type CapturedFrame, buildReport } from './report-builder.js'
import { LOCALS_OFF_NOTE, renderReport } from './render-text.js'
import type { RequestWatch, WatchEntry } from './request-watch.js'
import { sourcePositions } from './source-positions.js'
import type { DogslowReport, ReportCpu, ReportLoop, ResolvedSettings } from './types.js'

interface AwaitingFile {
  entry: WatchEntry
  report: DogslowReport
  text: string
  resolve: () => void
}

/**
 * Reports of requests whose deadline passed while the event loop was blocked. `onCapture`
 * runs inside the paused main thread (called by the watchdog thread through the inspector):
 * it claims the due requests, builds and renders their reports, and hands the text back to
 * the watchdog thread, which writes the files at once; the other sinks run when the loop is
 * free again (`written`).
 */
export class BlockedReports {
  readonly #settings: ResolvedSettings
  readonly #watch: RequestWatch
  readonly #limiter: RateLimiter
  readonly #delivery: Delivery
  readonly #isIgnored: (context: RequestContext) => boolean
  readonly #awaiting = new Map<number, AwaitingFile>()
  readonly #stallCpu: (untilMs: number) => ReportCpu | undefined
  #nextToken = 1

  constructor(
    settings: ResolvedSettings,
    watch: RequestWatch,
    limiter: RateLimiter,
    delivery: Delivery,
    isIgnored: (c: RequestContext) => boolean,
    stallCpu: (untilMs: number) => ReportCpu | undefined,
  ) {
    this.#stallCpu = stallCpu
    this.#settings = settings
    this.#watch = watch
    this.#limiter = limiter
    this.#delivery = delivery
    this.#isIgnored = isIgnored
  }

  /** Reports handed to the watchdog thread whose file it has not confirmed yet. */
  get awaitingCount(): number {
    return this.#awaiting.size
  }

  #describe(context: RequestContext | undefined): ReportLoop['blockedBy'] {
    if (context === undefined) return undefined
    const url = context.url === undefined ? context.name : this.#settings.redact ? redactUrl(context.url, this.#settings.isSecret) : context.url
    return { id: context.id, ...(context.method === undefined ? {} : { method: context.method }), ...(url === undefined ? {} : { url }) }
  }

  /**
   * Runs in the paused main thread; returns `{ reports: [{ token, fileName, text, nativeSeq? }] }`
   * as JSON. `nativeSeq` marks the completion of a report written during a native block: the
   * watchdog thread appends it to that report's file (now with URL, operations and the line
   * where JavaScript resumed).
   */
  onCapture(payload: string): string {
    const reports: Array<{ token: number; fileName: string; text: string; nativeSeq?: number }> = []
    safeExecute('dogslow.capture', () => {
      const parsed = JSON.parse(payload) as { frames: CapturedFrame[]; heartbeat: number; pausedAtMs?: number }
      const { heartbeat } = parsed
      const frames = sourcePositions(parsed.frames)
      const now = Date.now()
      // Measured up to the pause: the inspector's own time after it is not the app's.
      const cpu = this.#stallCpu(parsed.pausedAtMs ?? now)
      const current = getContext()
      for (const entry of this.#watch.claimDue(now)) {
        if (entry.reportedNatively) {
          const loop: ReportLoop = { state: 'blocked-native', blockedForMs: Math.max(0, now - heartbeat), note: 'the native call has returned; the stack is where JavaScript resumed' }
          if (cpu !== undefined) loop.cpu = cpu
          const shown = entry.context === current ? frames : frames.map(({ locals: _locals, ...frame }) => frame)
          const report = buildReport(entry.context, { reason: 'deadline', now, loop, frames: shown }, this.#settings)
          reports.push({ token: 0, fileName: '', text: renderReport(report), nativeSeq: entry.seq })
          continue
        }
        if (this.#isIgnored(entry.context)) {
          this.#watch.reported.delete(entry.context)
          continue
        }
        const admission = this.#limiter.admit(now)
        if (!admission.admitted) {
          this.#watch.suppress(entry)
          continue
        }
        const own = entry.context === current
        const loop: ReportLoop = { state: 'blocked', blockedForMs: Math.max(0, now - heartbeat) }
        if (cpu !== undefined) loop.cpu = cpu
        const blockedBy = own ? undefined : this.#describe(current)
        if (blockedBy !== undefined) loop.blockedBy = blockedBy
        else if (!own) loop.note = 'the blocking code runs outside any request (startup code, a timer, a queue consumer)'
        // Another request's locals are not this request's business: keep only the frames.
        const shown = own ? frames : frames.map(({ locals: _locals, ...frame }) => frame)
        const input = { reason: 'deadline' as const, now, loop, frames: shown }
        const report = buildReport(entry.context, this.#settings.stackVars ? input : { ...input, localsNote: LOCALS_OFF_NOTE }, this.#settings)
        if (admission.suppressedBefore > 0) report.suppressedBefore = admission.suppressedBefore
        const text = renderReport(report)
        const token = this.#nextToken++
        let resolve: () => void = () => {}
        entry.delivered = new Promise<void>((r) => {
          resolve = r
        })
        this.#awaiting.set(token, { entry, report, text, resolve })
        reports.push({ token, fileName: this.#delivery.fileName(now, entry.context.id), text })
      }
    })
    return JSON.stringify({ reports })
  }

  /** The watchdog thread wrote (or failed to write) a report's file: deliver it to the other sinks. */
  written(token: number, file: string | undefined, error: string | undefined): void {
    const awaiting = this.#awaiting.get(token)
    if (awaiting === undefined) return
    this.#awaiting.delete(token)
    const { entry, report, text, resolve } = awaiting
    const preWritten = file !== undefined ? { file } : { fileError: new Error(error ?? 'not written') }
    this.#delivery.deliver(report, text, preWritten).then(() => {
      if (report.file !== undefined) entry.file = report.file
      resolve()
    }, resolve)
  }

  /** The watchdog thread reported a request while native code held the loop. */
  native(message: Extract<MonitorMessage, { type: 'native' }>): void {
    safeExecute('dogslow.native', () => {
      const entry = this.#find(message.seq)
      if (entry !== undefined) entry.nativeHandled = true
      if (!this.#limiter.admit(message.interceptedAt).admitted) {
        if (entry !== undefined) this.#watch.suppress(entry)
        return
      }
      const loop: ReportLoop = { state: 'blocked-native', note: 'the JavaScript stack was not available when the report was written' }
      const report: DogslowReport =
        entry === undefined
          ? {
              type: 'dogslow.report',
              version: 1,
              reason: 'deadline',
              interceptedAt: message.interceptedAt,
              request: { id: message.requestId ?? 'unknown', startTime: message.interceptedAt - this.#settings.timerMs, elapsedMs: this.#settings.timerMs },
              process: { hostname: '', pid: process.pid, ppid: process.ppid, threadId: 0 },
              loop,
              waitingOn: [],
            }
          : buildReport(entry.context, { reason: 'deadline', now: message.interceptedAt, loop }, this.#settings)
      const file = message.file
      if (file !== undefined && message.appendDetails && entry !== undefined) {
        const details = renderReport({ ...report, loop: { ...loop, note: 'the loop is free again; these are the request details' } })
        this.#delivery.appendNow(file, `\n${'-'.repeat(72)}\nUpdate: the event loop is free again.\n\n${details}`)
      }
      const preWritten = file !== undefined ? { file } : { fileError: new Error(message.error ?? 'not written') }
      const delivered = this.#delivery.deliver(report, message.text, this.#settings.logToFile ? preWritten : undefined)
      if (entry !== undefined) {
        entry.delivered = delivered.then(() => {
          if (report.file !== undefined) entry.file = report.file
        })
      }
    })
  }

  #find(seq: number): WatchEntry | undefined {
    const native = this.#watch.reportedNatively.get(seq)
    if (native !== undefined) {
      this.#watch.reportedNatively.delete(seq)
      return native
    }
    for (const entry of this.#watch.reported.values()) if (entry.seq === seq) return entry
    for (const entry of this.#watch.pending.values()) if (entry.seq === seq) return entry
    return undefined
  }
}
