import { type MakeError, assertTimeoutMs, compileErrorSpec } from './error-spec.js'
import { activeFrameCount } from './preempt.js'
import type { ErrorSpec, Quota, TimeboxedBlock } from './types.js'
import { isAsyncFunction, isThenable, runBlock } from './with-timeout.js'

/**
 * Creates a time budget of `budgetMs` shared by every block run through it (e.g. the
 * iterations of a loop). Time is spent only while at least one of its blocks runs, so nested
 * or concurrent blocks are counted once; each block's limit is the budget left when it starts,
 * and a spent budget throws `Err` at once without running the block (an `async` block gets a
 * rejected promise instead).
 *
 * @example
 * ```ts
 * const quota = createQuota(500, RuntimeError)
 * for (const rule of rules) quota.run(() => rule.pattern.test(input))
 * ```
 */
export function createQuota(budgetMs: number, Err?: ErrorSpec): Quota {
  assertTimeoutMs('budgetMs', budgetMs)
  const compiled = compileErrorSpec('Err', Err)
  const makeError: MakeError = () => compiled(budgetMs)
  let spent = 0
  let open = 0
  let openedAt = 0
  // Preemption depth at which each open synchronous block started. A block preempted by an
  // enclosing deadline never reaches its own `finally`; once the preemption stack is back at
  // or below that depth the block is gone, and it is closed here instead.
  const syncDepths: number[] = []

  const enter = () => {
    if (open++ === 0) openedAt = performance.now()
  }
  const leave = () => {
    if (--open === 0) spent += performance.now() - openedAt
  }
  const prune = () => {
    const depth = activeFrameCount()
    while (syncDepths.length > 0 && syncDepths[syncDepths.length - 1]! >= depth) {
      syncDepths.pop()
      leave()
    }
  }
  // Closes this block's marker, and any deeper one left behind by a preempted nested block.
  const closeSync = (depth: number) => {
    while (syncDepths.length > 0 && syncDepths[syncDepths.length - 1]! > depth) {
      syncDepths.pop()
      leave()
    }
    syncDepths.pop()
  }
  const spentNow = () => {
    prune()
    return spent + (open > 0 ? performance.now() - openedAt : 0)
  }

  return {
    get remainingMs() {
      return Math.max(0, budgetMs - spentNow())
    },
    get spentMs() {
      return spentNow()
    },
    run<T>(fn: TimeboxedBlock<T>): T {
      const async = isAsyncFunction(fn)
      const left = budgetMs - spentNow()
      if (left <= 0) {
        // An async block promises a promise, even when it is refused before it starts.
        if (async) return Promise.reject(makeError(budgetMs)) as T
        throw makeError(budgetMs)
      }
      const depth = activeFrameCount()
      enter()
      syncDepths.push(depth)
      let result: T
      try {
        result = runBlock(left, makeError, fn, async)
      } catch (error) {
        closeSync(depth)
        leave()
        throw error
      }
      closeSync(depth)
      if (!isThenable(result)) {
        leave()
        return result
      }
      return Promise.resolve(result as PromiseLike<unknown>).then(
        (value) => {
          leave()
          return value
        },
        (error: unknown) => {
          leave()
          throw error
        },
      ) as T
    },
  }
}
