import { BLOCKING_FUNCTION, HOT_FUNCTION } from './collect.js'
import type { DemoSummary } from './summary.js'

/** What must hold for the run to count as a success; one sentence per failure. */
export function failedChecks(summary: Omit<DemoSummary, 'ok' | 'failures'>): string[] {
  const failures: string[] = []
  for (const scenario of summary.scenarios) if (scenario.problem !== undefined) failures.push(scenario.problem)
  const { dogslow, cow, statsd, sql, geordi } = summary
  if (dogslow.blocking === undefined) failures.push('dogslow wrote no report for the request that blocked the event loop')
  else if (!dogslow.blocking.namesBlockingFunction) failures.push(`the blocked-loop report does not name ${BLOCKING_FUNCTION}`)
  if (dogslow.slowSql === undefined) failures.push('dogslow wrote no report for the request waiting on slow SQL')
  else if (!dogslow.slowSql.showsSql) failures.push('the slow-SQL report does not show the query it waits on')
  if (cow.timeoutsCaught === 0) failures.push('the evil regex was not interrupted (no 422 from /search)')
  if (statsd.totalLines === 0) failures.push(`StatsD received nothing (${statsd.path})`)
  if (sql.database === 'embedded' && sql.statements.length === 0) {
    failures.push('no SQL statement in the database log carries a request id')
  }
  if (geordi.pdf === undefined) failures.push(`geordi produced no PDF${geordi.detail ? ` (${geordi.detail})` : ''}`)
  else if (!geordi.hotFunctionInGraph) failures.push(`the geordi call graph does not show ${HOT_FUNCTION}`)
  return failures
}
