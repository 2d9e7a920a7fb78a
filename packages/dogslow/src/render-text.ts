import { sourceKind } from '@intro/core'
import { formatDuration, formatUtc } from './format.js'
import { foldStack } from './stack-frames.js'
import type { DogslowDump, DogslowReport, ReportFrame } from './types.js'

const LOCALS_OFF =
  'Local variables are off. Set DOGSLOW_STACK_VARS=1 (or the `stackVars: true` option) to include them; they are verbose and may hold secrets.'

function frameLine(frame: ReportFrame): string {
  const where = `${frame.url || '<anonymous>'}:${frame.line}:${frame.column}`
  return frame.functionName ? `${frame.functionName} (${where})` : where
}

/** The report's first line: the app line that holds the request. */
export function culpritLine(report: DogslowReport): string {
  const culprit = report.culprit
  if (culprit === undefined) {
    return report.loop.state === 'blocked-native'
      ? 'Culprit: unknown (native code holds the event loop; no JavaScript stack yet)'
      : 'Culprit: unknown (an untracked wait: a lock, a socket of an untracked client, a promise that never settles; the follow-up line says where the request resumed)'
  }
  return `Culprit: ${culprit.functionName || '<anonymous>'} (${culprit.file}:${culprit.line})`
}

function cpuLine(report: DogslowReport): string | undefined {
  const cpu = report.loop.cpu
  if (cpu === undefined) return undefined
  const share = cpu.wallMs > 0 ? Math.min(100, Math.round((cpu.cpuMs / cpu.wallMs) * 100)) : 0
  const what =
    cpu.verdict === 'computing' ? 'computing (running JavaScript or native code)' : 'stuck in a system call (sleeping, waiting on a lock or synchronous I/O)'
  const by = cpu.measuredBy === 'thread' ? 'the main thread' : 'the process'
  return `CPU:        ${what}: ${by} used ${formatDuration(cpu.cpuMs)} of CPU in ${formatDuration(cpu.wallMs)} (${share}%)`
}

function loopLines(report: DogslowReport): string[] {
  const { loop } = report
  const blockedFor = loop.blockedForMs === undefined ? '' : ` for ${formatDuration(loop.blockedForMs)}`
  if (loop.state === 'responsive') {
    const count = report.waitingOn.length
    return [`Event loop: responsive; the request is waiting on ${count === 0 ? 'nothing dogslow can see (an untracked client or a promise that never settles)' : `${count} operation${count === 1 ? '' : 's'}`}`]
  }
  const by = loop.blockedBy === undefined ? "by this request's code" : `by request ${loop.blockedBy.id} (${loop.blockedBy.method ?? ''} ${loop.blockedBy.url ?? ''})`.replace('( ', '(')
  const lines = [
    loop.state === 'blocked-native'
      ? `Event loop: BLOCKED${blockedFor} in native code that does not return to JavaScript (crypto.pbkdf2Sync, child_process.execSync, a synchronous addon call…)`
      : `Event loop: BLOCKED${blockedFor} ${by}`,
  ]
  const cpu = cpuLine(report)
  if (cpu !== undefined) lines.push(cpu)
  if (loop.note !== undefined) lines.push(`Note:       ${loop.note}`)
  return lines
}

function waitingLines(report: DogslowReport): string[] {
  if (report.waitingOn.length === 0) return []
  const lines = ['', 'Waiting on:']
  for (const op of report.waitingOn) {
    lines.push(`  [${op.kind}] ${op.description}`, `    pending ${formatDuration(op.pendingMs)}, since ${formatUtc(op.startTime)}`)
    for (const frame of op.stack) lines.push(`      ${frame}`)
  }
  return lines
}

function stackLines(report: DogslowReport): string[] {
  const frames = report.frames
  if (frames === undefined || frames.length === 0) return []
  // Same order and folding as the operations' stacks: innermost first, library runs on one line.
  const lines = ['', 'Stack (innermost first):']
  for (const line of foldStack(frames.map((frame) => `at ${frameLine(frame)}`), frames.length)) lines.push(`  ${line.replace(/^at /, '')}`)
  if (frames.some((frame) => frame.locals !== undefined)) {
    lines.push('', 'Local variables (innermost first):')
    for (const frame of frames) {
      if (frame.locals === undefined && sourceKind(frame.url) !== 'app') continue
      lines.push(`  ${frameLine(frame)}`)
      for (const local of frame.locals ?? []) lines.push(`    ${local.name} = ${local.value}`)
    }
  }
  return lines
}

function cutLines(report: DogslowReport): string[] {
  const { cut } = report
  if (cut === undefined) return []
  const parts: string[] = []
  if (cut.headers) parts.push(`${cut.headers} request header(s) past limits.maxHeaders`)
  if (cut.queryParameters) parts.push(`${cut.queryParameters} query parameter(s) past limits.maxQueryParameters`)
  if (cut.sections?.length) parts.push(`${cut.sections.join(', ')} to fit limits.maxReportBytes (the full report was ${cut.originalBytes} bytes)`)
  return parts.length === 0 ? [] : ['', `Cut from this report: ${parts.join('; ')}.`]
}

/** Renders one report in the original dogslow's layout, plus what Node needs (the loop, the operations). */
export function renderReport(report: DogslowReport): string {
  const { request } = report
  const head = report.reason === 'on-demand' ? 'Request in flight at' : 'Undead request intercepted at'
  const target = request.url !== undefined ? `${request.method ?? ''} ${request.url}`.trim() : `${request.name ?? 'context'} ${(request.args ?? []).join(' ')}`.trim()
  const lines = [
    culpritLine(report),
    `${head}: ${formatUtc(report.interceptedAt)}`,
    '',
    target,
    `Hostname:   ${report.process.hostname}`,
    `Thread ID:  ${report.process.threadId}`,
    `Process ID: ${report.process.pid}`,
    `Parent PID: ${report.process.ppid}`,
    `Started:    ${formatUtc(request.startTime)}`,
    `Request ID: ${request.id}`,
  ]
  if (request.route !== undefined) lines.push(`Route:      ${request.route}`)
  lines.push(`Running:    ${formatDuration(request.elapsedMs)}`, ...loopLines(report))
  lines.push(...waitingLines(report), ...stackLines(report))
  if (request.headers !== undefined) {
    lines.push('', 'Request headers:')
    for (const [name, value] of Object.entries(request.headers)) lines.push(`  ${name}: ${value}`)
  }
  lines.push(...cutLines(report))
  if (report.suppressedBefore) lines.push('', `(${report.suppressedBefore} earlier report(s) were suppressed by the rate limit)`)
  if (report.localsNote !== undefined) lines.push('', report.localsNote)
  return `${lines.join('\n')}\n`
}

/** The note ending a report whose locals were not captured because `stackVars` is off. */
export const LOCALS_OFF_NOTE = LOCALS_OFF

/** Renders an on-demand dump: every request in flight, one section each. */
export function renderDump(dump: DogslowDump): string {
  const lines = [
    `Requests in flight at: ${formatUtc(dump.interceptedAt)} (${dump.requests.length + dump.omitted})`,
    `Hostname:   ${dump.process.hostname}`,
    `Process ID: ${dump.process.pid}`,
    '',
  ]
  const sections = dump.requests.map((report) => renderReport(report))
  if (dump.omitted > 0) sections.push(`(${dump.omitted} more requests not listed)\n`)
  return `${lines.join('\n')}${sections.join(`\n${'-'.repeat(72)}\n\n`)}`
}
