import { reportDiagnostic } from '@intro/core'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { DispatchState, Dispatcher } from './dispatcher.js'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import type { GeordiJobData } from './job-data.js'
import type { ResolvedGeordiOptions } from './options.js'
import { createRedis } from './redis-connection.js'

// bullmq is ~17 MiB of a web process's RSS: loaded with the first geordi request, not the app.
let bullmq: Promise<typeof import('bullmq')> | undefined
const loadBullmq = () => {
  bullmq ??= import('bullmq')
  return bullmq
}

/** Job name inside the queue (one queue may serve other job kinds). */
export const JOB_NAME = 'geordi.profile'

interface Connected {
  redis: Redis
  queue: Queue
}

/**
 * Resolves once the client can run commands, and rejects at the first connection error (a
 * refused connection fails within milliseconds) or when the client gives up. BullMQ itself waits
 * for a reconnect, so without this a refused connection cost the admin the whole
 * `enqueueTimeoutMs` before the error page.
 */
function usable(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      redis.off('ready', onReady)
      redis.off('error', onError)
      redis.off('end', onEnd)
      if (error) reject(error)
      else resolve()
    }
    const onReady = () => done()
    const onError = (error: Error) => done(error)
    const onEnd = () => done(new Error('the Redis connection was closed'))
    redis.on('ready', onReady)
    redis.on('error', onError)
    redis.on('end', onEnd)
  })
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

  #connect(QueueClass: typeof Queue): Connected {
    if (this.#connected) return this.#connected
    const { redisUrl, redisOptions, queueName, queuePrefix, enqueueTimeoutMs } = this.#options
    const redis = createRedis(redisUrl!, { connectTimeout: enqueueTimeoutMs, ...redisOptions }, 'producer')
    const report = (error: unknown) =>
      reportDiagnostic({ level: 'warn', scope: 'geordi.queue', message: 'Redis connection error', error })
    redis.on('error', report)
    const queue = new QueueClass(queueName, { connection: redis, prefix: queuePrefix })
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

  /** The connection, once it can run commands; rejects at once when Redis refuses it. */
  async #ready(what: string): Promise<Queue> {
    const { Queue: QueueClass } = await loadBullmq()
    const { redis, queue } = this.#connect(QueueClass)
    await timeout(usable(redis), this.#options.enqueueTimeoutMs, what)
    return queue
  }

  async dispatch(data: GeordiJobData): Promise<void> {
    try {
      const deadline = Date.now() + this.#options.enqueueTimeoutMs
      const queue = await this.#ready('connecting to Redis')
      await timeout(
        queue.add(JOB_NAME, data, { jobId: data.id, attempts: 1, removeOnComplete: true, removeOnFail: true }),
        Math.max(1, deadline - Date.now()),
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
      const queue = await this.#ready('connecting to Redis')
      const state = await timeout(queue.getJobState(id), this.#options.enqueueTimeoutMs, 'reading the job state')
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
      const queue = await this.#ready('connecting to Redis')
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
