import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { rawRequest } from '@intro/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import { ADMIN_COOKIE, download, get, listen, pdfText, removeDir, tempDir, waitForJob, ADMIN } from './helpers.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3Qtc2VjcmV0In0.c2lnbmF0dXJlLXNlY3JldA'
const SECRETS = ['pw-secret', 'tok-secret', 'bearer-secret', 'c2lnbmF0dXJlLXNlY3JldA', 'admin-cookie-value']

describe('geordi redaction of hostile requests', () => {
  it('keeps query secrets and credential-shaped headers out of status.json, the status JSON and the PDF when the Host header does not parse', async () => {
    const outDir = tempDir('redaction')
    const app = createApp({ outDir, env: {} })
    const server = await listen(createServer(app))
    cleanups.push(() => removeDir(outDir), () => app.geordi.close(), server.close)

    // Raw bytes, so the Host header is exactly what a hostile client sends.
    const answer = await rawRequest({
      port: Number(new URL(server.url).port),
      text: `${[
        'GET /cpu?ms=30&password=pw-secret&token=tok-secret&page=2&__geordi__ HTTP/1.1',
        'Host: x:99999',
        `Cookie: ${ADMIN_COOKIE}`,
        'X-Custom-Auth: Bearer bearer-secret',
        `X-Id-Hint: ${JWT}`,
        'Connection: close',
      ].join('\r\n')}\r\n\r\n`,
    })
    expect(answer).toMatch(/^HTTP\/1\.1 303/)
    const id = /x-geordi-job: (\S+)/i.exec(answer)?.[1]
    expect(id).toBeDefined()
    const pageUrl = `${server.url}/cpu?__geordi__=${id}`
    const status = await waitForJob(pageUrl)
    expect(status.state).toBe('done')
    expect(status.request.url).toBe('http://x:99999/cpu?ms=30&password=[redacted]&token=[redacted]&page=2')

    const onDisk = readdirSync(join(outDir, String(id))).filter((name) => name.endsWith('.json'))
    expect(onDisk).toContain('status.json')
    const pdfPath = join(outDir, 'report.pdf')
    await download(`${pageUrl}.pdf`, pdfPath)
    const svg = await (await get(`${pageUrl}.svg`, ADMIN)).text()
    const written = [
      JSON.stringify(status),
      ...onDisk.map((name) => readFileSync(join(outDir, String(id), name), 'utf8')),
      pdfText(pdfPath),
      svg,
    ]
    for (const text of written) for (const secret of SECRETS) expect(text).not.toContain(secret)
    expect(pdfText(pdfPath)).toContain('page=2')
  })
})
