import { describe, expect, it } from 'vitest'
import { TestUtilsError, TestUtilsErrorCode, freePort, requireBinary } from '../src/index.js'
import { createServer } from 'node:net'

describe('requireBinary', () => {
  it('finds installed server binaries, including PostgreSQL outside PATH', () => {
    expect(requireBinary('redis-server')).toMatch(/\/redis-server$/)
    expect(requireBinary('postgres')).toMatch(/\/postgresql\/\d+\/bin\/postgres$/)
  })

  it('throws ERR_TEST_UTILS_MISSING_BINARY for a binary that is not installed', () => {
    let error: unknown
    try {
      requireBinary('intro-no-such-server')
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(TestUtilsError)
    expect((error as TestUtilsError).code).toBe(TestUtilsErrorCode.missingBinary)
  })
})

describe('freePort', () => {
  it('returns a TCP port that can be bound on 127.0.0.1', async () => {
    const port = await freePort()
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
    await new Promise((resolve) => server.close(resolve))
  })

  it('returns a UDP port', async () => {
    expect(await freePort({ protocol: 'udp' })).toBeGreaterThan(0)
  })
})
