import { displayPath } from '../output-dir.js'
import type { DemoSummary } from './summary.js'

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n')
}

function section(title: string, body: string[]): string {
  return [`■ ${title}`, ...body].join('\n')
}

/** The human summary printed at the end of a run. */
export function formatSummary(s: DemoSummary): string {
  const out: string[] = []
  const seconds = (s.durationMs / 1000).toFixed(1)
  out.push(`intro demo — ${s.ok ? 'all scenarios behaved as expected' : 'SOME CHECKS FAILED'} (${seconds} s)`)
  out.push('')
  out.push(
    section(
      'Requests',
      s.scenarios.map((sc) => {
        const statuses = [...new Set(sc.statuses)].join(',')
        const count = sc.statuses.length > 1 ? ` ×${sc.statuses.length}` : ''
        return `  ${sc.problem ? '✗' : '✓'} ${sc.path.padEnd(34)} ${statuses}${count}  slowest ${Math.round(sc.slowestMs)} ms`
      }),
    ),
  )
  out.push('')
  const { dogslow } = s
  const dogslowBody = [`  ${dogslow.reports.length} report(s) in ${displayPath(dogslow.dir)}/`]
  for (const report of dogslow.reports) dogslowBody.push(`    ${displayPath(report)}`)
  if (dogslow.blocking !== undefined) {
    dogslowBody.push('', `  The request that blocked the event loop (${displayPath(dogslow.blocking.path)}):`, '')
    dogslowBody.push(indent(dogslow.blocking.excerpt))
  }
  out.push(section('dogslow — slow-request reports', dogslowBody))
  out.push('')
  const { cow } = s
  out.push(
    section('cow — timeouts caught', [
      `  ${cow.timeoutsCaught} evil regex search(es) interrupted${cow.requestMs === undefined ? '' : ` (answered in ${Math.round(cow.requestMs)} ms)`}`,
      ...(cow.message ? [`  422: ${cow.message}`] : []),
    ]),
  )
  out.push('')
  const { statsd } = s
  const statsdTitle = statsd.mode === 'daemon' ? 'StatsD — lines flushed by the daemon' : 'StatsD — datagrams the app sent (daemon unavailable)'
  out.push(
    section(statsdTitle, [
      ...(statsd.failure ? [`  statsd could not start: ${statsd.failure}`] : []),
      ...statsd.lines.map((line) => `  ${line}`),
      `  (${statsd.totalLines} lines in ${displayPath(statsd.path)})`,
    ]),
  )
  out.push('')
  const { sql } = s
  const sqlBody =
    sql.path === undefined
      ? ['  DATABASE_URL is set: turn on log_statement in that server to see the comments it receives.']
      : [
          ...sql.statements.map((st) => `  ${st.sql}`),
          `  (${sql.totalStatements} statements as the database received them: ${displayPath(sql.path)})`,
        ]
  out.push(section('SQL with comments, as the database saw it', sqlBody))
  out.push('')
  const { geordi } = s
  out.push(
    section(`geordi — profile of /trending-lite (${geordi.mode === 'queue' ? 'on a BullMQ worker' : 'inline, in the web process'})`, [
      geordi.pdf
        ? `  PDF call graph: ${displayPath(geordi.pdf)} (${Math.round(geordi.downloadedPdfBytes / 1024)} KiB, served to the admin at ?__geordi__=${geordi.jobId}.pdf)`
        : `  no PDF${geordi.detail ? `: ${geordi.detail}` : ''}`,
      ...(geordi.svg ? [`  SVG:            ${displayPath(geordi.svg)}`] : []),
      ...(geordi.cpuprofile ? [`  .cpuprofile:    ${displayPath(geordi.cpuprofile)} (open in Chrome DevTools)`] : []),
    ]),
  )
  out.push('')
  out.push(`Everything is under ${displayPath(s.outDir)}/ (summary.json, app log: ${displayPath(s.logs.app)}).`)
  if (!s.ok) {
    out.push('')
    out.push('Failed checks:')
    for (const failure of s.failures) out.push(`  ✗ ${failure}`)
  }
  return out.join('\n')
}
