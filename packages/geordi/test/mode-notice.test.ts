import { execFile } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { type DiagnosticEvent, onDiagnostic } from '@intro/core'
import { createGeordi } from '@intro/geordi'
import { type RedisServer, startRedis } from '@intro/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, removeDir, tempDir } from './helpers.js'

let redis: RedisServer
let outDir: string
beforeAll(async () => {
  redis = await startRedis()
  outDir = tempDir('mode-notice')
})
afterAll(async () => {
  await redis?.stop()
  if (outDir) removeDir(outDir)
})

async function noticesOf(options: Parameters<typeof createGeordi>[0]): Promise<DiagnosticEvent[]> {
  const events: DiagnosticEvent[] = []
  const stop = onDiagnostic((event) => event.scope === 'geordi.mode' && events.push(event))
  try {
    await createGeordi({ authorize: () => true, outDir, ...options }).close()
  } finally {
    stop()
  }
  return events
}

describe('geordi says where jobs run', () => {
  it('in auto mode without Redis: inline, why, and that it is not for production', async () => {
    const [notice, ...more] = await noticesOf({ env: {} })
    expect(more).toEqual([])
    expect(notice?.level).toBe('warn')
    expect(notice?.message).toContain('inline')
    expect(notice?.message).toContain('no Redis URL')
    expect(notice?.message).toContain('not for production')
  })

  it('in auto mode with a Redis URL: the queue, and which setting named Redis', async () => {
    const [notice, ...more] = await noticesOf({ env: { REDIS_URL: redis.url }, queueName: 'notice-queue' })
    expect(more).toEqual([])
    expect(notice?.level).toBe('info')
    expect(notice?.message).toContain('"notice-queue"')
    expect(notice?.message).toContain('REDIS_URL')
  })

  /** stderr of a real process that creates geordi with `env` and subscribes to nothing. */
  function stderrOfProcess(env: Record<string, string>): Promise<string> {
    const entry = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href
    const script = `const { createGeordi } = await import(${JSON.stringify(entry)}); await createGeordi({ authorize: () => true, outDir: ${JSON.stringify(outDir)}, env: ${JSON.stringify(env)} }).close()`
    return new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: cleanEnv(), timeout: 30_000 }, (error, _stdout, err) =>
        error ? reject(error) : resolve(err),
      )
    })
  }

  it('prints the inline warning on stderr of a real process that subscribes to nothing', async () => {
    const stderr = await stderrOfProcess({})
    expect(stderr.match(/geordi\.mode/g)).toHaveLength(1)
    expect(stderr).toContain('not for production')
  })

  it('prints the queue choice on stderr too, once', async () => {
    const stderr = await stderrOfProcess({ REDIS_URL: redis.url })
    expect(stderr.match(/geordi\.mode/g)).toHaveLength(1)
    expect(stderr).toMatch(/\[intro\] info geordi\.mode: profiling jobs go to the BullMQ queue "[^"]+" for geordi-worker processes: mode auto found a Redis URL in REDIS_URL/)
  })
})
