import { createRequire } from 'node:module'
import { type PostgresServer, startPostgres } from '@intro/test-utils'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Operation, autoInstrumented, enableIntegrations, isWrapped, onOperation, runWithContext, unwrapMethod, wrapMethod } from '../src/index.js'

let postgres: PostgresServer
beforeAll(async () => {
  postgres = await startPostgres()
})
afterAll(async () => {
  await postgres?.stop()
})

const stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops.splice(0).reverse()) stop()
})

describe('wrapMethod / isWrapped / unwrapMethod', () => {
  it('wraps once, restores the original, and leaves a later wrapper in place', () => {
    const target = { greet: (name: string) => `hi ${name}` }
    const original = target.greet
    expect(wrapMethod(target, 'greet', (fn) => (...args) => `${fn(...args)}!`)).toBe(true)
    expect(isWrapped(target.greet)).toBe(true)
    // A second wrap (another copy of the toolkit) changes nothing.
    expect(wrapMethod(target, 'greet', (fn) => (...args) => `${fn(...args)}?`)).toBe(false)
    expect(target.greet('ada')).toBe('hi ada!')
    unwrapMethod(target, 'greet')
    expect(target.greet).toBe(original)
    wrapMethod(target, 'greet', (fn) => (...args) => `${fn(...args)}!`)
    const theirs = (name: string) => `yo ${name}`
    target.greet = theirs
    unwrapMethod(target, 'greet')
    expect(target.greet).toBe(theirs)
  })
})

describe('enableIntegrations', () => {
  it('instruments pg loaded after it, records each query once however many consumers, and restores pg after the last', async () => {
    const ended: Operation[] = []
    stops.push(onOperation({ end: (op) => ended.push(op) }))
    stops.push(enableIntegrations({ fetch: false, http: false }))
    stops.push(enableIntegrations({ fetch: false, http: false }))
    // Loaded only now, through require: the Module._load hook instruments it.
    const pg = createRequire(import.meta.url)('pg') as typeof import('pg')
    expect(autoInstrumented().pg).toBe(1)
    expect(isWrapped(pg.Pool.prototype.query)).toBe(true)
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 1 })
    try {
      const id = await runWithContext({ name: 'job' }, async () => {
        await pool.query('SELECT 1 AS one')
        return ended.at(-1)?.context?.id
      })
      const mine = ended.filter((op) => op.context?.id === id)
      expect(mine.map((op) => [op.kind, op.description, op.attributes.db])).toEqual([['sql', 'SELECT 1 AS one', 'postgresql']])
    } finally {
      await pool.end()
    }
    for (const stop of stops.splice(1).reverse()) stop()
    expect(isWrapped(pg.Pool.prototype.query)).toBe(false)
    expect(autoInstrumented().pg).toBe(0)
  })

  it('records nothing for an integration switched off', async () => {
    const ended: Operation[] = []
    stops.push(onOperation({ end: (op) => ended.push(op) }))
    stops.push(enableIntegrations({ pg: false, fetch: false, http: false }))
    const pg = createRequire(import.meta.url)('pg') as typeof import('pg')
    expect(isWrapped(pg.Pool.prototype.query)).toBe(false)
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 1 })
    try {
      await runWithContext({ name: 'job' }, () => pool.query('SELECT 1'))
    } finally {
      await pool.end()
    }
    expect(ended.filter((op) => op.kind === 'sql')).toEqual([])
  })
})
