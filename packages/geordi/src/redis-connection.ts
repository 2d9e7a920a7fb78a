import { Redis, type RedisOptions } from 'ioredis'

/**
 * ioredis client for BullMQ. bullmq's ESM build cannot load ioredis by itself, so geordi always
 * passes a client. Blocking connections (workers) need `maxRetriesPerRequest: null`; the web
 * side fails fast instead (no offline queue, one retry) so a Redis outage shows as an error
 * page rather than a hung request.
 */
export function createRedis(url: string, options: RedisOptions, role: 'producer' | 'worker'): Redis {
  const base: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 5000,
          retryStrategy: (times) => Math.min(times * 500, 5000),
        }
  return new Redis(url, { ...options, ...base })
}
