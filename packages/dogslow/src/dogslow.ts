import diagnosticsChannel from 'node:diagnostics_channel'
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import { hostname } from 'node:os'
import { threadId } from 'node:worker_threads'
import {
  type AdapterOptions,
  type FastifyPlugin,
  type LifecycleHooks,
  type RequestContext,
  enableIntegrations,
  expressMiddleware,
  fastifyPlugin,
  inFlightRequests,
  instrumentServer,
  koaMiddleware,
  redactUrl,
  registerOwnSource,
  reportDiagnostic,
  safeExecute,
  wrapHandler,
} from '@intro/core'
import { BlockedReports } from './blocked-reports.js'
import { Delivery } from './deliver.js'
import { LoopMonitor } from './loop-monitor.js'
import type { MonitorMessage } from './monitor-thread.js'
import { RateLimiter } from './rate-limit.js'
import { buildReport } from './report-builder.js'
import { LOCALS_OFF_NOTE, renderDump, renderReport } from './render-text.js'
import { RequestWatch, type WatchEntry } from './request-watch.js'
import { ResumeProbe } from './resume-probe.js'
import { resolveSettings } from './settings.js'
import { traceTimers } from './timer-tracking.js'
import type { Dogslow, DogslowDump, DogslowOptions, DogslowStats, ResolvedSettings } from './types.js'

/** Channel of capture measurements (`{ pauseMs, captureMs, reports }`), for benchmarks and monitoring. */
export const CAPTURE_CHANNEL = 'intro:dogslow:capture'
const captureChannel = diagnosticsChannel.channel(CAPTURE_CHANNEL)

/**
 * Decides once how to tell whether a request is exempt (`ignoreUrls`); applied at its deadline,
 * when the framework has matched its route. As in the original, exemptions name routes, not
 * paths: strings and patterns are matched against the route template (`/orders/:id`, also as
 * `GET /orders/:id`) or a job's name, and a request no route matched (a 404, a path a static
 * handler serves outside any route) is never exempt, whatever its URL looks like.
 */
function ignoreMatcher(settings: ResolvedSettings): (context: RequestContext) => boolean {
  const { ignoreNames: names, ignorePatterns: patterns } = settings
  if (names.size === 0 && patterns.length === 0) return () => false
  return (context) => {
    const candidates: string[] = []
    const route = context.route
    if (route !== undefined) {
      candidates.push(route)
      if (context.method !== undefined) candidates.push(`${context.method} ${route}`)
    }
    if (context.name !== undefined) candidates.push(context.name)
    return candidates.some((candidate) => names.has(candidate) || patterns.some((pattern) => pattern.test(candidate)))
  }
}

class Watchdog implements Dogslow {
  readonly settings: Readonly<ResolvedSettings>
  readonly #delivery: Delivery
  readonly #limiter: RateLimiter
  readonly #watch: RequestWatch | undefined
  readonly #monitor: LoopMonitor | undefined
  readonly #blocked: BlockedReports | undefined
  readonly #adapterOptions: AdapterOptions
  readonly #isIgnored: (context: RequestContext) => boolean
  readonly #cleanups: Array<() => void> = []
  readonly #resumes = new ResumeProbe()
  #closed = false

  constructor(settings: ResolvedSettings) {
    registerOwnSource(import.meta.url)
    this.settings = settings
    this.#delivery = new Delivery(settings)
    this.#limiter = new RateLimiter(settings.rateLimit, (count) => this.#delivery.suppressed(count))
    this.#isIgnored = ignoreMatcher(settings)
    const hooks: LifecycleHooks | undefined = settings.enabled
      ? {
          // The hooks use the context they are given: settling need not enter it, and the
          // follow-up line's write is not the request's work.
          runInContext: false,
          onStart: (context) => this.#watch?.start(context),
          onFinish: (context, info) => this.#finished(context, info.statusCode, info.durationMs),
          onAbort: (context, info) => this.#finished(context, undefined, info.durationMs),
        }
      : undefined
    this.#adapterOptions = {}
    if (hooks !== undefined) this.#adapterOptions.hooks = hooks
    if (settings.trustUpstreamIds !== undefined) this.#adapterOptions.trustUpstreamIds = settings.trustUpstreamIds
    if (settings.responseHeader !== undefined) this.#adapterOptions.responseHeader = settings.responseHeader
    if (!settings.enabled) return
    const describeUrl = (context: RequestContext) =>
      context.url === undefined ? context.name : settings.redact ? redactUrl(context.url, settings.isSecret) : context.url
    let monitor: LoopMonitor | undefined
    if (settings.watchBlocked) {
      monitor = new LoopMonitor(settings, {
        onCapture: (payload) => this.#blocked?.onCapture(payload) ?? '{"reports":[]}',
        head: () => this.#watch?.head(),
        onMessage: (message) => this.#onMonitorMessage(message),
      })
    }
    this.#monitor = monitor
    this.#watch = new RequestWatch(settings.timerMs, (now) => this.#onDue(now), monitor, describeUrl)
    if (monitor !== undefined) {
      this.#blocked = new BlockedReports(settings, this.#watch, this.#limiter, this.#delivery, this.#isIgnored, (untilMs) => monitor.stallCpu(untilMs))
    }
    if (settings.traceTimers) this.#cleanups.push(traceTimers(settings.traceTimersMinMs))
    if (settings.integrations !== false) this.#cleanups.push(enableIntegrations(settings.integrations))
    const signal = settings.signal
    if (signal !== undefined) {
      const onSignal = () => {
        this.dumpAll().catch(() => {})
      }
      process.on(signal, onSignal)
      this.#cleanups.push(() => process.off(signal, onSignal))
    }
  }

  get enabled(): boolean {
    return this.settings.enabled
  }

  /** The main thread's own timer: the loop is responsive, so the request is waiting on something. */
  #onDue(now: number): void {
    const watch = this.#watch
    if (watch === undefined) return
    const heartbeat = this.#monitor?.lastHeartbeat()
    for (const entry of watch.claimDue(now)) {
      if (entry.reportedNatively) continue
      if (safeExecute('dogslow.ignore', () => this.#isIgnored(entry.context))) {
        watch.reported.delete(entry.context)
        continue
      }
      const lateMs = now - entry.deadline
      const loop: ReturnType<typeof buildReport>['loop'] = { state: 'responsive' }
      if (lateMs > 1000) {
        loop.note = `the watchdog fired ${Math.round(lateMs)} ms late: the event loop was blocked until just now${heartbeat === undefined ? '' : ' (too briefly for the watchdog thread)'}`
      }
      const input = { reason: 'deadline' as const, now, loop }
      this.#report(entry, () => buildReport(entry.context, this.settings.stackVars ? input : { ...input, localsNote: LOCALS_OFF_NOTE }, this.settings), now)
    }
  }

  #report(entry: WatchEntry, build: () => ReturnType<typeof buildReport>, now: number): void {
    safeExecute('dogslow.report', () => {
      const admission = this.#limiter.admit(now)
      if (!admission.admitted) {
        this.#watch?.suppress(entry)
        return
      }
      const report = build()
      if (admission.suppressedBefore > 0) report.suppressedBefore = admission.suppressedBefore
      // Nothing names the line it waits on: follow it, so the follow-up can say where it went on.
      if (report.culprit === undefined && report.loop.state === 'responsive') this.#resumes.follow(entry.context)
      const text = renderReport(report)
      entry.delivered = this.#delivery.deliver(report, text).then(() => {
        if (report.file !== undefined) entry.file = report.file
      })
    })
  }

  #onMonitorMessage(message: MonitorMessage): void {
    switch (message.type) {
      case 'written':
        this.#blocked?.written(message.token, message.file, message.error)
        break
      case 'native':
        this.#blocked?.native(message)
        break
      case 'capture':
        if (captureChannel.hasSubscribers) captureChannel.publish(message)
        break
      case 'inspector-unavailable':
        reportDiagnostic({ level: 'warn', scope: 'dogslow.inspector', message: `blocked requests are reported without stack or locals: ${message.reason}` })
        break
    }
  }

  #finished(context: RequestContext, statusCode: number | undefined, durationMs: number): void {
    const followed = this.#resumes.follows(context)
    const resumed = followed ? (this.#resumes.finish(context) ?? null) : undefined
    const entry = this.#watch?.end(context)
    if (entry === undefined || entry.suppressed) return
    const complete = () =>
      this.#delivery.complete({
        requestId: context.id,
        ...(context.method === undefined ? {} : { method: context.method }),
        ...(context.url === undefined ? {} : { url: this.settings.redact ? redactUrl(context.url, this.settings.isSecret) : context.url }),
        ...(statusCode === undefined ? {} : { statusCode }),
        aborted: statusCode === undefined,
        durationMs,
        ...(entry.file === undefined ? {} : { file: entry.file }),
        ...(resumed === undefined ? {} : { resumed }),
      })
    if (entry.delivered === undefined) complete()
    else entry.delivered.then(complete, complete)
  }

  express(): ReturnType<Dogslow['express']> {
    return expressMiddleware(this.#adapterOptions) as ReturnType<Dogslow['express']>
  }

  fastify(): FastifyPlugin {
    return fastifyPlugin(this.#adapterOptions)
  }

  koa(): ReturnType<Dogslow['koa']> {
    return koaMiddleware(this.#adapterOptions) as unknown as ReturnType<Dogslow['koa']>
  }

  wrap(handler: (req: IncomingMessage, res: ServerResponse) => unknown): (req: IncomingMessage, res: ServerResponse) => void {
    return wrapHandler(handler as RequestListener, this.#adapterOptions)
  }

  instrument<S>(server: S): S {
    return instrumentServer(server as unknown as Server, this.#adapterOptions) as unknown as S
  }

  stats(): DogslowStats {
    const watch = this.#watch
    return {
      watching: watch?.pending.size ?? 0,
      reported: (watch?.reported.size ?? 0) + (watch?.reportedNatively.size ?? 0),
      deliveries: this.#delivery.pendingCount + (this.#blocked?.awaitingCount ?? 0),
    }
  }

  async dumpAll(): Promise<DogslowDump> {
    const now = Date.now()
    const all = inFlightRequests()
    const listed = all.slice(0, this.settings.limits.maxDumpRequests)
    const dump: DogslowDump = {
      type: 'dogslow.dump',
      version: 1,
      interceptedAt: now,
      process: { hostname: hostname(), pid: process.pid, ppid: process.ppid, threadId },
      requests: listed.map((context) => buildReport(context, { reason: 'on-demand', now, loop: { state: 'responsive' } }, this.settings)),
      omitted: all.length - listed.length,
    }
    await this.#delivery.deliverDump(dump, renderDump(dump))
    return dump
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const cleanup of this.#cleanups.splice(0)) cleanup()
    this.#watch?.close()
    this.#resumes.close()
    this.#limiter.close()
    await this.#monitor?.close()
    await this.#delivery.close()
  }
}

/**
 * Creates the slow-request watchdog. Install its adapter first in the app; requests still
 * running after `timerMs` get one report each (file, logger, email, callback, channel), whether
 * they are waiting on I/O or blocking the event loop.
 *
 * @example
 * ```ts
 * const watchdog = createDogslow({ timerMs: 25_000, stackVars: false })
 * app.use(watchdog.express())
 * ```
 */
export function createDogslow(options: DogslowOptions = {}): Dogslow {
  return new Watchdog(resolveSettings(options))
}
