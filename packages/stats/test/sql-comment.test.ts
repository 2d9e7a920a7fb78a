import { randomUUID } from 'node:crypto'
import { type DiagnosticEvent, type Operation, onDiagnostic, onOperation, runWithContext } from '@intro/core'
import { afterEach, describe, expect, it } from 'vitest'
import {
  MAX_SQL_COMMENT_VALUE_LENGTH,
  commentSql,
  createSqlCommenter,
  encodeSqlCommentValue,
  formatSqlComment,
  hasSqlComment,
  wrapQuery,
} from '../src/index.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** A sqlcommenter parser as the spec describes it: key='value' pairs, URL-decoded, `\'` unescaped. */
function parseSqlcommenter(sql: string): Record<string, string> {
  const start = sql.indexOf('/*')
  const end = sql.indexOf('*/', start)
  const body = sql.slice(start + 2, end)
  const pairs: Record<string, string> = {}
  for (const match of body.matchAll(/([^=,]+)='((?:[^'\\]|\\.)*)'/g)) {
    pairs[decodeURIComponent(match[1]!)] = decodeURIComponent(match[2]!.replaceAll("\\'", "'"))
  }
  return pairs
}

describe('commentSql', () => {
  it('prefixes the correlation id in sqlcommenter format', () => {
    const id = randomUUID()
    const sql = runWithContext({ id }, () => commentSql('SELECT 1'))
    expect(sql).toBe(`/*request_id='${id}'*/ SELECT 1`)
  })

  it('carries a job name and its arguments outside requests, keys sorted', () => {
    const sql = runWithContext({ name: 'manage.py', args: ['send_subscriptions', '1000'] }, () => commentSql('SELECT 1'))
    expect(sql.startsWith("/*args='send_subscriptions%201000',job='manage.py',request_id='")).toBe(true)
    expect(parseSqlcommenter(sql)).toMatchObject({ args: 'send_subscriptions 1000', job: 'manage.py' })
  })

  it('returns the text unchanged outside any context and when it already has a comment', () => {
    expect(commentSql('SELECT 1')).toBe('SELECT 1')
    runWithContext({}, () => {
      expect(commentSql('/* x */ SELECT 1')).toBe('/* x */ SELECT 1')
      expect(commentSql('SELECT 1 -- x')).toBe('SELECT 1 -- x')
      expect(commentSql('')).toBe('')
    })
  })

  it('encodes hostile values so the comment cannot be closed early', () => {
    const hostile = "a'*/; DROP TABLE t; --\n/*\\"
    const sql = runWithContext({ name: hostile, args: ["*/'", '%27'] }, () => commentSql('SELECT 1'))
    const comment = sql.slice(0, sql.indexOf('*/') + 2)
    expect(sql.slice(comment.length)).toBe(' SELECT 1')
    expect(comment.slice(2, -2)).not.toMatch(/\*\/|\/\*|\n|\\/)
    expect(comment.slice(2, -2).replace(/='[^']*'/g, '')).toMatch(/^[a-z_,]+$/)
    expect(parseSqlcommenter(sql)).toMatchObject({ job: hostile, args: "*/' %27" })
  })

  it('never throws on values encodeURIComponent rejects, and caps long values at a character boundary', () => {
    const diagnostics: DiagnosticEvent[] = []
    cleanups.push(onDiagnostic((event) => diagnostics.push(event)))
    const sql = runWithContext({ name: '\uDFFFjob\uD800', args: ['\uD83D\uDE00'.repeat(300)] }, () => commentSql('SELECT 1'))
    const pairs = parseSqlcommenter(sql)
    expect(pairs.job).toBe('\uFFFDjob\uFFFD')
    expect(pairs.args!.endsWith('\u2026')).toBe(true)
    expect(pairs.args!.slice(0, -1)).toMatch(/^(?:\uD83D\uDE00)+$/)
    expect(encodeSqlCommentValue('\uD83D\uDE00'.repeat(300)).length).toBeLessThanOrEqual(MAX_SQL_COMMENT_VALUE_LENGTH)
    expect(encodeSqlCommentValue('a'.repeat(1000))).toBe(`${'a'.repeat(MAX_SQL_COMMENT_VALUE_LENGTH - 9)}%E2%80%A6`)
    expect(encodeSqlCommentValue('a'.repeat(MAX_SQL_COMMENT_VALUE_LENGTH))).toBe('a'.repeat(MAX_SQL_COMMENT_VALUE_LENGTH))
    expect(() => formatSqlComment({ ['\uD800']: 'x', y: '\uDC00' })).not.toThrow()
    expect(diagnostics.length).toBeGreaterThan(0)
    expect(diagnostics.every((event) => event.scope === 'stats.sql-comment' && event.level === 'warn')).toBe(true)
  })

  it('sends the query uncommented when a value cannot be formatted at all', () => {
    const unprintable = {
      toString() {
        throw new Error('no text')
      },
    } as unknown as string
    const diagnostics: DiagnosticEvent[] = []
    cleanups.push(onDiagnostic((event) => diagnostics.push(event)))
    const comment = createSqlCommenter({ static: { application: unprintable } })
    expect(runWithContext({ id: randomUUID() }, () => comment('SELECT 1'))).toBe('SELECT 1')
    expect(diagnostics.map((event) => [event.scope, event.level])).toEqual([['stats.sql-comment', 'warn']])
  })

  it('formats sorted, URL-encoded pairs and drops empty values', () => {
    expect(hasSqlComment('/*a*/ SELECT')).toBe(true)
    expect(formatSqlComment({ route: '/users/:id', request_id: 'r1', empty: '' })).toBe(
      "/*request_id='r1',route='%2Fusers%2F%3Aid'*/",
    )
  })
})

describe('createSqlCommenter', () => {
  it('places the comment after the statement and adds static keys when asked', () => {
    const comment = createSqlCommenter({ placement: 'suffix', static: { application: 'shop' } })
    const sql = runWithContext({ id: 'abcdefgh-1' }, () => comment('SELECT 1'))
    expect(sql).toBe("SELECT 1 /*application='shop',request_id='abcdefgh-1'*/")
  })

  it('rejects an unknown placement', () => {
    expect(() => createSqlCommenter({ placement: 'middle' as never })).toThrow(TypeError)
  })
})

describe('wrapQuery', () => {
  it('comments and tracks any driver function, promise or callback style', async () => {
    const seen: string[] = []
    const ended: Operation[] = []
    cleanups.push(onOperation({ end: (op) => ended.push(op) }))
    const promiseDriver = wrapQuery(async (sql: string) => {
      seen.push(sql)
      return [{ one: 1 }]
    })
    const callbackDriver = wrapQuery((options: { sql: string }, callback: (error: Error | null, rows?: unknown[]) => void) => {
      seen.push(options.sql)
      setImmediate(() => callback(null, []))
    })
    const id = randomUUID()
    await runWithContext({ id }, async () => {
      await promiseDriver('SELECT 1')
      await new Promise<void>((resolve) => callbackDriver({ sql: 'DELETE FROM t' }, () => resolve()))
    })
    expect(seen).toEqual([`/*request_id='${id}'*/ SELECT 1`, `/*request_id='${id}'*/ DELETE FROM t`])
    expect(ended.filter((op) => op.context?.id === id).map((op) => op.attributes.statement)).toEqual(['select', 'delete'])
  })

  it('passes other arguments through and rethrows driver errors', () => {
    const driver = wrapQuery((value: number) => value * 2)
    expect(driver(21 as never)).toBe(42)
    const failing = wrapQuery((_sql: string) => {
      throw new SyntaxError('bad sql')
    })
    expect(() => runWithContext({}, () => failing('SELEC'))).toThrow(SyntaxError)
  })
})
