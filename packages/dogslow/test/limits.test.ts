import { trackOperation } from '@intro/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, sleep, until } from './helpers.js'

afterEach(cleanup)

function watchdog(options: Parameters<typeof createDogslow>[0]) {
  const dog = createDogslow(options)
  defer(() => dog.close())
  return dog
}

/** Recurses `depth` times, then blocks the loop for `ms` with nine locals in scope. */
function nest(depth: number, ms: number): number {
  if (depth > 0) return nest(depth - 1, ms) + 1
  const a = 1
  const b = 2
  const c = 3
  const d = 4
  const e = 5
  const f = 6
  const started = Date.now()
  while (Date.now() - started < ms);
  return a + b + c + d + e + f
}

describe('createDogslow limits', () => {
  it('keeps maxFrames frames, reads locals of maxFramesWithLocals frames, maxLocalsPerFrame locals each', async () => {
    const reports: DogslowReport[] = []
    const dog = watchdog({
      env: {},
      timerMs: 200,
      logToFile: false,
      stackVars: true,
      limits: { maxFrames: 4, maxFramesWithLocals: 2, maxLocalsPerFrame: 3 },
      onReport: (r) => reports.push(r),
    })
    const url = await listen(
      dog.wrap((_req, res) => {
        res.end(String(nest(6, 800)))
      }),
    )
    expect(await (await fetch(`${url}/deep`)).text()).toBe('27')
    await until(() => reports.length === 1)
    const frames = reports[0]?.frames ?? []
    // The stack is deeper (seven nest frames, the handler, core's adapter, node:http), cut to 4.
    expect(frames.map((frame) => frame.functionName)).toEqual(['nest', 'nest', 'nest', 'nest'])
    expect(frames.map((frame) => frame.locals?.length)).toEqual([3, 3, undefined, undefined])
  })

  it('lists at most maxOperations operations, each with at most maxFrames stack lines', async () => {
    const reports: DogslowReport[] = []
    const dog = watchdog({ env: {}, timerMs: 200, logToFile: false, traceTimers: false, limits: { maxOperations: 3, maxFrames: 2 }, onReport: (r) => reports.push(r) })
    const url = await listen(
      dog.wrap(async (_req, res) => {
        await Promise.all([1, 2, 3, 4, 5].map((n) => trackOperation({ kind: 'lock', description: `lock-${n}` }, () => sleep(600))))
        res.end('ok')
      }),
    )
    await (await fetch(`${url}/many-operations`)).text()
    await until(() => reports.length === 1)
    const waitingOn = reports[0]?.waitingOn ?? []
    expect(waitingOn.map((op) => op.description)).toEqual(['lock-1', 'lock-2', 'lock-3'])
    for (const op of waitingOn) expect(op.stack).toHaveLength(2)
  })
})
