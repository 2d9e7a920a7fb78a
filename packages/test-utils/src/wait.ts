import { setTimeout as sleep } from 'node:timers/promises'
import { TestUtilsError, TestUtilsErrorCode } from './errors.js'

/**
 * Polls `check` every `intervalMs` until it returns a value other than
 * `undefined`/`false`, `abort()` returns a reason to give up, or `timeoutMs` passes.
 */
export async function pollUntil<T>(options: {
  what: string
  timeoutMs: number
  intervalMs?: number
  check: () => T | undefined | false | Promise<T | undefined | false>
  abort?: () => string | undefined
}): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  const intervalMs = options.intervalMs ?? 50
  for (;;) {
    const reason = options.abort?.()
    if (reason !== undefined) {
      throw new TestUtilsError(`${options.what}: ${reason}`, { code: TestUtilsErrorCode.startFailed })
    }
    const value = await options.check()
    if (value !== undefined && value !== false) return value
    if (Date.now() >= deadline) {
      throw new TestUtilsError(`${options.what}: gave up after ${options.timeoutMs} ms`, {
        code: TestUtilsErrorCode.timeout,
      })
    }
    await sleep(intervalMs)
  }
}
