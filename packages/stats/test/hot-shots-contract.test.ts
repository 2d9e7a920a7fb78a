import { describe, expect, it, vi } from 'vitest'
import { StatsError, StatsErrorCode, createStats } from '../src/index.js'

// A hot-shots release that renamed or dropped its in-flight counter: the cap on packets in flight
// would silently stop working, so createStats must refuse to start instead.
vi.mock('hot-shots', async (importOriginal) => {
  const actual = await importOriginal<typeof import('hot-shots')>()
  class WithoutCounter extends actual.StatsD {
    constructor(...args: ConstructorParameters<typeof actual.StatsD>) {
      super(...args)
      delete (this as { messagesInFlight?: number }).messagesInFlight
    }
  }
  return { ...actual, StatsD: WithoutCounter }
})

describe('createStats with a hot-shots it cannot bound', () => {
  it('throws ERR_INTRO_STATS_UNSUPPORTED_CLIENT at construction', () => {
    let thrown: unknown
    try {
      createStats({ host: '127.0.0.1', port: 9, processIntervalMs: 0 })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(StatsError)
    expect((thrown as StatsError).code).toBe(StatsErrorCode.unsupportedClient)
  })
})
