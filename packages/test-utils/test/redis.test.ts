import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { type RedisServer, startRedis } from '../src/index.js'

describe('startRedis', () => {
  let redis: RedisServer | undefined
  afterEach(async () => {
    await redis?.stop()
    redis = undefined
  })

  it('serves a real redis-server on 127.0.0.1 that commands reach', async () => {
    redis = await startRedis()
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    try {
      await client.connect()
      await client.set('greeting', 'hello')
      expect(await client.get('greeting')).toBe('hello')
      expect(await client.config('GET', 'save')).toEqual(['save', ''])
    } finally {
      client.disconnect()
    }
  })

  it('starts independent servers side by side', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()])
    try {
      expect(a.port).not.toBe(b.port)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('stops the server and removes its directory, and stop() can be called again', async () => {
    redis = await startRedis()
    const dir = dirname(redis.logPath)
    expect(existsSync(dir)).toBe(true)
    await redis.stop()
    await redis.stop()
    expect(existsSync(dir)).toBe(false)
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    await expect(client.connect()).rejects.toThrow()
    client.disconnect()
  })
})
