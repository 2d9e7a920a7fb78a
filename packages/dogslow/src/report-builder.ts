import { hostname } from 'node:os'
import { threadId } from 'node:worker_threads'
import { REDACTED, type RequestContext, redactHeaderValue, redactText, redactUrl } from '@intro/core'
import { truncate } from './format.js'
import { type CdpRemoteObject, renderRemoteObject } from './remote-values.js'
import { fitReport, limitQueryParameters } from './report-size.js'
import { type StackLine, foldStack, innermostApp, isOwnWork, parseStack } from './stack-frames.js'
import { pendingTimers } from './timer-tracking.js'
import type { DogslowReport, ReportCulprit, ReportCut, ReportFrame, ReportLoop, ReportOperation, ReportRequest, ResolvedSettings } from './types.js'

/** A frame as the watchdog thread captured it through the inspector (values not yet rendered). */
export interface CapturedFrame {
  functionName: string
  url: string
  line: number
  column: number
  locals?: Array<{ name: string; value: CdpRemoteObject }>
}

/** What a report is built from, besides the request's context. */
export interface ReportInput {
  reason: DogslowReport['reason']
  now: number
  loop: ReportLoop
  frames?: CapturedFrame[]
  localsNote?: string
  /** Where the request's untracked `await` is suspended, innermost first, when it is known. */
  suspended?: StackLine[]
}

const HOSTNAME = hostname()


/** The request part of a report: redacted URL and headers, bounded values; what was cut goes to `cut`. */
export function describeRequest(context: RequestContext, settings: ResolvedSettings, now: number, cut: ReportCut = {}): ReportRequest {
  const max = settings.limits.maxValueLength
  const request: ReportRequest = { id: context.id, startTime: context.startTime, elapsedMs: now - context.startTime }
  if (context.method !== undefined) request.method = context.method
  if (context.url !== undefined) {
    const limited = limitQueryParameters(context.url, settings.limits.maxQueryParameters)
    request.url = truncate(settings.redact ? redactUrl(limited.url, settings.isSecret) : limited.url, max * 4)
    if (limited.cut > 0) cut.queryParameters = limited.cut
  }
  const route = context.route
  if (route !== undefined) request.route = route
  if (context.name !== undefined) request.name = context.name
  if (context.args !== undefined) request.args = context.args.map((arg) => truncate(arg, max))
  if (context.headers !== undefined) {
    const headers: Record<string, string> = {}
    let listed = 0
    for (const [name, value] of Object.entries(context.headers)) {
      if (value === undefined) continue
      if (listed++ >= settings.limits.maxHeaders) {
        cut.headers = (cut.headers ?? 0) + 1
        continue
      }
      const text = Array.isArray(value) ? value.join(', ') : String(value)
      headers[name] = truncate(settings.redact ? redactHeaderValue(name, text, settings.isSecret) : text, max)
    }
    request.headers = headers
  }
  if (Object.keys(context.tags).length > 0) request.tags = { ...context.tags }
  return request
}

interface Waits {
  operations: ReportOperation[]
  /** The innermost app frame of the longest-pending wait that has one. */
  culprit: ReportCulprit | undefined
}

function describeOperations(context: RequestContext, settings: ResolvedSettings, now: number): Waits {
  const { maxOperations, maxFrames, maxValueLength } = settings.limits
  const out: ReportOperation[] = []
  let culprit: ReportCulprit | undefined
  let culpritStart = Number.POSITIVE_INFINITY
  const add = (kind: string, description: string, startTime: number, stack: string, source: ReportCulprit['source']) => {
    const frames = parseStack(stack)
    // The toolkit's own work (a timer of a sink, a call of a wrapper) is not the request's wait.
    if (isOwnWork(frames)) return
    const found = startTime < culpritStart ? innermostApp(frames, source) : undefined
    if (found !== undefined) {
      culprit = found
      culpritStart = startTime
    }
    if (out.length >= maxOperations) return
    const text = settings.redact ? redactText(description, settings.isSecret) : description
    out.push({ kind, description: truncate(text, maxValueLength), startTime, pendingMs: now - startTime, stack: foldStack(stack.split('\n'), maxFrames) })
  }
  for (const operation of context.operations) add(operation.kind, operation.description, operation.startTime, operation.stack, 'operation')
  for (const timer of pendingTimers(context)) add('timer', timer.description, timer.startTime, timer.stack, 'timer')
  return { operations: out, culprit }
}

function framesCulprit(frames: readonly CapturedFrame[]): ReportCulprit | undefined {
  return innermostApp(
    frames.map((frame) => ({ functionName: frame.functionName, file: frame.url, line: frame.line, column: frame.column })),
    'stack',
  )
}

function renderFrames(frames: CapturedFrame[], settings: ResolvedSettings): ReportFrame[] {
  const { maxFrames, maxLocalsPerFrame, maxValueLength } = settings.limits
  return frames.slice(0, maxFrames).map((frame) => {
    const out: ReportFrame = { functionName: frame.functionName, url: frame.url, line: frame.line, column: frame.column }
    if (frame.locals !== undefined) {
      out.locals = frame.locals.slice(0, maxLocalsPerFrame).map(({ name, value }) => ({
        name,
        value: settings.redact && settings.isSecret(name) ? REDACTED : renderRemoteObject(value, settings.isSecret, maxValueLength),
      }))
    }
    return out
  })
}

/** Builds the structured report of one request; everything in it is redacted and bounded. */
export function buildReport(context: RequestContext, input: ReportInput, settings: ResolvedSettings): DogslowReport {
  const cut: ReportCut = {}
  const waits = describeOperations(context, settings, input.now)
  const report: DogslowReport = {
    type: 'dogslow.report',
    version: 1,
    reason: input.reason,
    interceptedAt: input.now,
    request: describeRequest(context, settings, input.now, cut),
    process: { hostname: HOSTNAME, pid: process.pid, ppid: process.ppid, threadId },
    loop: input.loop,
    waitingOn: waits.operations,
  }
  // The blocked stack is what holds the request right now; a wait it started earlier is not.
  const culprit =
    (input.frames === undefined ? undefined : framesCulprit(input.frames)) ??
    waits.culprit ??
    (input.suspended === undefined ? undefined : innermostApp(input.suspended, 'suspended'))
  if (culprit !== undefined) report.culprit = culprit
  if (input.frames !== undefined) report.frames = renderFrames(input.frames, settings)
  if (input.localsNote !== undefined) report.localsNote = input.localsNote
  if (Object.keys(cut).length > 0) report.cut = cut
  return fitReport(report, settings.limits.maxReportBytes)
}
