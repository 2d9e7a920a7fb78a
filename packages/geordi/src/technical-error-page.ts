import type { IncomingMessage } from 'node:http'
import { inspect } from 'node:util'
import { redactHeaders, redactUrl } from '@intro/core'
import { escapeHtml, layout } from './pages.js'

const MAX_CAUSES = 5

function describe(error: unknown): { title: string; details: string } {
  if (!(error instanceof Error)) return { title: 'Non-error thrown', details: inspect(error, { depth: 3 }) }
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < MAX_CAUSES; depth++) {
    const code = (current as { code?: unknown }).code
    parts.push(`${depth === 0 ? '' : 'Caused by: '}${current.stack ?? `${current.name}: ${current.message}`}${code === undefined ? '' : `\ncode: ${String(code)}`}`)
    current = current.cause
  }
  return { title: `${error.name}: ${error.message}`, details: parts.join('\n\n') }
}

/** Header for {@link technicalErrorPage}: its inline style is the only thing it needs. */
export const TECHNICAL_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

/** Every header sent with {@link technicalErrorPage}, besides its status and content type. */
export const TECHNICAL_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': TECHNICAL_PAGE_CSP,
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
}

/**
 * The page an authorized user sees for an unhandled error: the error with its stack and causes,
 * and the request (method, URL and headers, secrets redacted).
 */
export function technicalErrorPage(error: unknown, req: IncomingMessage): string {
  const { title, details } = describe(error)
  const headers = redactHeaders(req.headers as Record<string, unknown>)
  const headerRows = Object.entries(headers)
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td><code>${escapeHtml(value)}</code></td></tr>`)
    .join('')
  const body = `<h1 class="failed">${escapeHtml(title)}</h1><p>Shown because you are authorized to see technical errors; other users get the app's normal error response.</p>
<h2>Stack</h2><pre>${escapeHtml(details)}</pre>
<h2>Request</h2><p><code>${escapeHtml(req.method ?? 'GET')} ${escapeHtml(redactUrl((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/'))}</code></p><table>${headerRows}</table>`
  return layout(title, body)
}
