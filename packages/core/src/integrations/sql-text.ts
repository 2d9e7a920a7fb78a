import { safeExecute } from '../diagnostics.js'
import { type OperationHandle, startOperation } from '../operations.js'
import { type IntegrationName, type SqlCall, type SqlRewriter, recording, sqlRewriters } from './state.js'

const STATEMENT = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*\(?\s*([A-Za-z]+)/

const KNOWN_STATEMENTS = new Set([
  'select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback', 'savepoint',
  'release', 'create', 'alter', 'drop', 'truncate', 'copy', 'set', 'show', 'explain', 'call',
  'values', 'merge', 'replace', 'lock', 'listen', 'notify', 'vacuum', 'analyze', 'prepare',
  'execute', 'deallocate', 'start', 'grant', 'revoke', 'refresh', 'do', 'upsert', 'use',
])

/**
 * The statement kind of a SQL text, lower case (`select`, `insert`, …), skipping leading
 * comments; `other` for anything unknown, so a metric name space built on it stays small.
 */
export function statementKind(sql: string): string {
  const match = STATEMENT.exec(sql)
  const word = match?.[1]?.toLowerCase()
  return word !== undefined && KNOWN_STATEMENTS.has(word) ? word : 'other'
}

const NOT_TRACKED: OperationHandle | undefined = undefined

/** Starts the `sql` operation of a call, when some consumer records `integration`'s calls. */
export function trackSql(integration: IntegrationName, text: string, db: SqlCall['db']): OperationHandle | undefined {
  if (!recording(integration)) return NOT_TRACKED
  return startOperation({ kind: 'sql', description: text, attributes: { db, statement: statementKind(text) } })
}

/** The text to send: rewritten by the installed rewriter (stats' comment), never throwing. */
export function rewriteSql(text: string, call: SqlCall): string {
  const rewriters = sqlRewriters()
  for (let i = 0; i < rewriters.length; i++) {
    const rewrite = rewriters[i] as SqlRewriter
    const rewritten = safeExecute('core.sql.rewrite', () => rewrite(text, call))
    if (typeof rewritten === 'string') return rewritten
  }
  return text
}

/** Something to end: an operation handle, or nothing when calls are not recorded. */
export type MaybeHandle = { end(error?: unknown): void } | undefined
