import { rawRequest } from '@intro/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createDogslow, type DogslowCompletion, type DogslowReport } from '../src/index.js'
import { cleanup, defer, listen, tempDir, until, waitForReports } from './helpers.js'

afterEach(cleanup)

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3Qtc2VjcmV0In0.c2lnbmF0dXJlLXNlY3JldA'
const SECRETS = ['pw-secret', 'tok-secret', 'bearer-secret', 'basic-secret', 'c2lnbmF0dXJlLXNlY3JldA']

describe('createDogslow redaction of hostile requests', () => {
  it('redacts query secrets when a hostile Host header makes the URL unparsable, and credentials by value shape', async () => {
    const dir = tempDir()
    const reports: DogslowReport[] = []
    const completions: DogslowCompletion[] = []
    const logged: string[] = []
    const log = (object: object, message?: string) => logged.push(JSON.stringify({ object, message }))
    const dog = createDogslow({
      timerMs: 150,
      outputDir: dir,
      logger: { info: log, warn: log, error: log },
      onReport: (report) => reports.push(report),
      onComplete: (completion) => completions.push(completion),
    })
    defer(() => dog.close())
    const url = await listen(
      dog.wrap((_req, res) => {
        setTimeout(() => res.end('ok'), 500)
      }),
    )
    const answer = await rawRequest({
      port: Number(new URL(url).port),
      // Raw bytes: no client normalises the Host header.
      text: [
        'GET /login?password=pw-secret&token=tok-secret&page=2 HTTP/1.1',
        'Host: x:99999',
        'X-Custom-Auth: Bearer bearer-secret',
        'X-Upstream: Basic basic-secret',
        `X-Id-Hint: ${JWT}`,
        'X-Plain: visible',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    })
    expect(answer).toMatch(/^HTTP\/1\.1 200/)
    const [text] = await waitForReports(dir, 1)
    await until(() => completions.length === 1 && logged.length >= 2)
    for (const written of [text ?? '', JSON.stringify(reports), JSON.stringify(completions), logged.join('\n')]) {
      for (const secret of SECRETS) expect(written).not.toContain(secret)
    }
    expect(reports[0]?.request.url).toBe('http://x:99999/login?password=[redacted]&token=[redacted]&page=2')
    expect(reports[0]?.request.headers).toMatchObject({ 'x-custom-auth': '[redacted]', 'x-upstream': '[redacted]', 'x-id-hint': '[redacted]', 'x-plain': 'visible' })
    expect(text).toContain('page=2')
  })
})
