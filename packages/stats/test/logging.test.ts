import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { runWithContext } from '@intro/core'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { childLogger, consoleLogger, pinoMixin } from '../src/index.js'

function capture(): { stream: Writable; lines(): Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk))
      callback()
    },
  })
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) }
}

describe('pinoMixin', () => {
  it('adds the correlation id to every pino line inside a request or job, nothing outside', () => {
    const out = capture()
    const logger = pino({ mixin: pinoMixin() }, out.stream)
    const id = randomUUID()
    runWithContext({ id }, () => logger.info('inside'))
    runWithContext({ name: 'send_subscriptions', args: ['1000'] }, () => logger.warn('job'))
    logger.info('outside')
    const [inside, job, outside] = out.lines()
    expect(inside).toMatchObject({ msg: 'inside', requestId: id })
    expect(job).toMatchObject({ msg: 'job', job: 'send_subscriptions', args: ['1000'] })
    expect(typeof job!.requestId).toBe('string')
    expect(outside).not.toHaveProperty('requestId')
  })

  it('uses the configured key', () => {
    const out = capture()
    const logger = pino({ mixin: pinoMixin({ idKey: 'req_id', details: false }) }, out.stream)
    runWithContext({ id: 'abcdefgh-2', name: 'x' }, () => logger.info('m'))
    expect(out.lines()[0]).toMatchObject({ req_id: 'abcdefgh-2' })
    expect(out.lines()[0]).not.toHaveProperty('job')
  })
})

describe('childLogger', () => {
  it('binds the id with child() inside a context and returns the logger outside', () => {
    const out = capture()
    const logger = pino(out.stream)
    expect(childLogger(logger)).toBe(logger)
    runWithContext({ id: 'abcdefgh-3' }, () => childLogger(logger).info('bound'))
    expect(out.lines()[0]).toMatchObject({ msg: 'bound', requestId: 'abcdefgh-3' })
  })
})

describe('consoleLogger', () => {
  it('prefixes lines with the id inside a context', () => {
    const written: unknown[][] = []
    const target = {
      debug: (...a: unknown[]) => written.push(a),
      info: (...a: unknown[]) => written.push(a),
      warn: (...a: unknown[]) => written.push(a),
      error: (...a: unknown[]) => written.push(a),
    }
    const log = consoleLogger(target)
    runWithContext({ id: 'abcdefgh-4' }, () => log.info('hello', 1))
    log.error('plain')
    expect(written).toEqual([['[abcdefgh-4]', 'hello', 1], ['plain']])
  })
})
