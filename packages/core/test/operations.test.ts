import { describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  type Operation,
  type OperationEndInfo,
  getContext,
  onOperation,
  runWithContext,
  startOperation,
  trackOperation,
} from '../src/index.js'
import { delay } from './helpers/http.js'

describe('trackOperation', () => {
  it('records the operation in the current context while it runs, then forgets it', async () => {
    await runWithContext({ name: 'job' }, async () => {
      const ctx = getContext()
      let during: Operation[] = []
      const rows = await trackOperation({ kind: 'sql', description: 'SELECT * FROM orders', attributes: { db: 'main' } }, async () => {
        during = [...(ctx?.operations ?? [])]
        await delay(5)
        return ['row']
      })
      expect(rows).toEqual(['row'])
      expect(during).toHaveLength(1)
      expect(during[0]).toMatchObject({ kind: 'sql', description: 'SELECT * FROM orders', attributes: { db: 'main' }, context: ctx })
      expect(during[0]?.startTime).toBeLessThanOrEqual(Date.now())
      expect(ctx?.operations.size).toBe(0)
    })
  })

  it('passes through sync results, throws and rejections, and reports them as ended with the error', async () => {
    const ended: Array<{ op: Operation; info: OperationEndInfo }> = []
    const off = onOperation({ end: (op, info) => ended.push({ op, info }) })
    try {
      expect(trackOperation({ kind: 'lock', description: 'a' }, () => 7)).toBe(7)
      const syncError = new Error('sync')
      expect(() =>
        trackOperation({ kind: 'lock', description: 'b' }, () => {
          throw syncError
        }),
      ).toThrow(syncError)
      const asyncError = new Error('async')
      await expect(trackOperation({ kind: 'http', description: 'c' }, async () => Promise.reject(asyncError))).rejects.toBe(asyncError)
    } finally {
      off()
    }
    expect(ended.map(({ op, info }) => [op.description, info.error])).toEqual([
      ['a', undefined],
      ['b', expect.any(Error)],
      ['c', expect.any(Error)],
    ])
    expect(ended.every(({ info }) => info.durationMs >= 0)).toBe(true)
  })

  it('keeps the operations of concurrent requests apart', async () => {
    const snapshots = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runWithContext({ name: `job-${i}` }, async () => {
          return trackOperation({ kind: 'redis', description: `GET key-${i}` }, async () => {
            await delay(Math.random() * 10)
            return [...(getContext()?.operations ?? [])].map((op) => op.description)
          })
        }),
      ),
    )
    expect(snapshots).toEqual(Array.from({ length: 20 }, (_, i) => [`GET key-${i}`]))
  })

  it('works outside any context (no request to attach to)', async () => {
    const handle = startOperation({ kind: 'sql', description: 'VACUUM' })
    expect(handle.operation.context).toBeUndefined()
    handle.end()
    expect(await trackOperation({ kind: 'sql', description: 'SELECT 1' }, async () => 1)).toBe(1)
  })
})

describe('startOperation', () => {
  it('returns a handle whose end() removes the operation once; later calls are ignored', () => {
    const ends: number[] = []
    const off = onOperation({ end: (_op, info) => ends.push(info.durationMs) })
    try {
      runWithContext({}, () => {
        const handle = startOperation({ kind: 'lock', description: 'orders:42' })
        expect(getContext()?.operations.has(handle.operation)).toBe(true)
        handle.end()
        handle.end(new Error('late'))
        expect(getContext()?.operations.size).toBe(0)
      })
    } finally {
      off()
    }
    expect(ends).toHaveLength(1)
  })
})

describe('operation validation', () => {
  it('rejects a missing or empty kind, a non-string description and non-object attributes with a TypeError and a code', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'sql',
      { description: 'x' },
      { kind: '', description: 'x' },
      { kind: 'sql' },
      { kind: 'sql', description: 42 },
      { kind: 'sql', description: 'x', attributes: 'db' },
    ]
    for (const init of bad) {
      for (const call of [() => startOperation(init as never), () => trackOperation(init as never, () => 1)]) {
        let thrown: unknown
        try {
          call()
        } catch (error) {
          thrown = error
        }
        expect(thrown, JSON.stringify(init)).toBeInstanceOf(TypeError)
        expect((thrown as { code?: string }).code).toBe(ErrorCodes.invalidOption)
      }
    }
  })
})

describe('Operation.stack', () => {
  it('names the code that started the operation, across await (async frames)', async () => {
    async function loadOrders() {
      await delay(1)
      return trackOperation({ kind: 'sql', description: 'SELECT' }, async () => {
        await delay(1)
        return [...(getContext()?.operations ?? [])][0]
      })
    }
    async function handleRequest() {
      await delay(1)
      const op = await loadOrders()
      return op
    }
    const op = await runWithContext({}, handleRequest)
    expect(op?.stack).toContain('loadOrders')
    expect(op?.stack).toContain('handleRequest')
    expect(op?.stack).toContain('operations.test.ts')
    expect(op?.stack.split('\n')[0]).toMatch(/^\s+at /)
  })

  it('is formatted only when read, once', () => {
    const original = Error.prepareStackTrace
    let formatted = 0
    Error.prepareStackTrace = (error, frames) => {
      formatted++
      return original ? original(error, frames) : `${error}\n${frames.map((f) => `    at ${f}`).join('\n')}`
    }
    try {
      const handle = startOperation({ kind: 'sql', description: 'SELECT' })
      handle.end()
      expect(formatted).toBe(0)
      const first = handle.operation.stack
      expect(handle.operation.stack).toBe(first)
      expect(formatted).toBe(1)
    } finally {
      Error.prepareStackTrace = original
    }
  })

  it('leaves Error.stackTraceLimit as it found it', () => {
    const limit = Error.stackTraceLimit
    startOperation({ kind: 'sql', description: 'SELECT' }).end()
    expect(Error.stackTraceLimit).toBe(limit)
  })
})

describe('onOperation', () => {
  it('sees every start and end with the duration, and stops after unsubscribing', async () => {
    const seen: string[] = []
    const off = onOperation({ start: (op) => seen.push(`start ${op.kind}`), end: (op, info) => seen.push(`end ${op.kind} ${info.durationMs >= 4}`) })
    await trackOperation({ kind: 'http', description: 'GET http://127.0.0.1/' }, () => delay(5))
    off()
    await trackOperation({ kind: 'http', description: 'ignored' }, () => delay(1))
    expect(seen).toEqual(['start http', 'end http true'])
  })
})
