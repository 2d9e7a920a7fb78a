import { reportDiagnostic } from '@intro/core'
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { DispatchState, Dispatcher } from './dispatcher.js'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import type { GeordiJobData } from './job-data.js'
import type { ResolvedGeordiOptions } from './options.js'
import { createRedis } from './redis-connection.js'

/** Job name inside the queue (one queue may serve other job kinds). */
export const JOB_NAME = 'geordi.profile'

interface Connected {
  redis: Redis
  queue: Queue
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

/**
 * BullMQ producer of the web process. Connects on first use, so an app that never profiles
 * never touches Redis; after a failure it drops the connection (no reconnect loop in the app's
 * process) and connects again on the next attempt.
 */
export class QueueDispatcher implements Dispatcher {
  readonly mode = 'queue' as const
  readonly #options: ResolvedGeordiOptions<unknown>
  #connected: Connected | undefined

  constructor(options: ResolvedGeordiOptions<unknown>) {
    this.#options = options
  }

  #connect(): Connected {
    if (this.#connected) return this.#connected
    const { redisUrl, redisOptions, queueName, queuePrefix, enqueueTimeoutMs } = this.#options
    const redis = createRedis(redisUrl!, { connectTimeout: enqueueTimeoutMs, ...redisOptions }, 'producer')
    const report = (error: unknown) =>
      reportDiagnostic({ level: 'warn', scope: 'geordi.queue', message: 'Redis connection error', error })
    redis.on('error', report)
    const queue = new Queue(queueName, { connection: redis, prefix: queuePrefix })
    queue.on('error', report)
    this.#connected = { redis, queue }
    return this.#connected
  }

  async #drop(): Promise<void> {
    const connected = this.#connected
    this.#connected = undefined
    if (!connected) return
    await connected.queue.close().catch(() => undefined)
    connected.redis.disconnect()
  }

  async dispatch(data: GeordiJobData): Promise<void> {
    const { queue } = this.#connect()
    try {
      await timeout(
        queue.add(JOB_NAME, data, { jobId: data.id, attempts: 1, removeOnComplete: true, removeOnFail: true }),
        this.#options.enqueueTimeoutMs,
        'adding the job to Redis',
      )
    } catch (error) {
      await this.#drop()
      throw new GeordiError(`could not queue the job on Redis: ${error instanceof Error ? error.message : String(error)}`, {
        code: GeordiErrorCodes.queueUnavailable,
        cause: error,
      })
    }
  }

  async state(id: string): Promise<DispatchState> {
    try {
      const state = await timeout(this.#connect().queue.getJobState(id), this.#options.enqueueTimeoutMs, 'reading the job state')
      if (state === 'active') return 'active'
      if (state === 'unknown' || state === 'completed' || state === 'failed') return 'gone'
      return 'waiting'
    } catch {
      await this.#drop()
      return 'unknown'
    }
  }

  async cancel(id: string): Promise<boolean> {
    try {
      const { queue } = this.#connect()
      await timeout(queue.remove(id), this.#options.enqueueTimeoutMs, 'removing the job')
      return (await queue.getJobState(id)) !== 'active'
    } catch {
      await this.#drop()
      return false
    }
  }

  close(): Promise<void> {
    return this.#drop()
  }
}
