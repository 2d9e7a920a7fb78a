import { flameSection } from './flame-section.js'
import type { JobStatus } from './types.js'

/** Links to one job's page, status and files, relative to the profiled URL. */
export interface JobUrls {
  page: string
  status: string
  pdf: string
  svg: string
  cpuprofile: string
  flame: string
  speedscope: string
  pprof: string
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const SCRIPT_UNSAFE: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' }

/**
 * JSON for an inline `<script>`: `</script>` or `<!--` in a value would end the script or change
 * how the parser reads it, and U+2028/U+2029 end lines in older JavaScript. The escapes mean the
 * same string to JavaScript.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => SCRIPT_UNSAFE[c]!)
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.8rem;overflow:auto}
table{border-collapse:collapse}td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}
.state{font-weight:600}.failed{color:#b00020}.graph{max-width:100%;border:1px solid #ddd}
.links a{margin-right:1rem}.recent td,.recent th{white-space:nowrap}.recent td.request{white-space:normal;word-break:break-all}`

/** A complete page; `nonce` allows the one inline script of the waiting page. */
export function layout(title: string, body: string, options: { nonce?: string; refreshSeconds?: number } = {}): string {
  const refresh = options.refreshSeconds === undefined ? '' : `<noscript><meta http-equiv="refresh" content="${options.refreshSeconds}"></noscript>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>${refresh}
<style${options.nonce ? ` nonce="${options.nonce}"` : ''}>${STYLE}</style></head><body>${body}</body></html>`
}

function row(label: string, value: unknown): string {
  return value === undefined ? '' : `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`
}

function ms(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `${Math.round(value)} ms`
}

function stateText(status: JobStatus): string {
  return status.stage && status.stage !== status.state && status.state !== 'done' ? `${status.state} (${status.stage})` : status.state
}

/** The job's facts; `liveState` is the waiting page's state cell, which its script keeps current. */
function summary(status: JobStatus, liveState?: string): string {
  const { request, response, timings } = status
  const state = liveState === undefined ? row('State', stateText(status)) : `<tr><th>State</th><td>${liveState}</td></tr>`
  return `<table>${row('Request', `${request.method} ${request.url}`)}${state}
${row('Worker', status.workerHost)}${row('Status', response?.statusCode)}${row('Response size', response === undefined ? undefined : `${response.sizeBytes} bytes`)}
${row('Wall time', ms(timings?.wallMs))}${row('Samples', status.sampling === undefined ? undefined : `${status.sampling.samples}, every ${status.sampling.intervalUs} µs${status.sampling.fine ? ' (a short request: the fine profile)' : ''}`)}${row('CPU time', ms(timings?.cpuMs))}${row('Queued', ms(timings?.queuedMs))}${row('Rendering', ms(timings?.renderMs))}
${row('Job', status.id)}${row('Expires', new Date(status.expiresAt).toISOString())}</table>`
}

/** Shown while the job is queued, running or rendering; follows the job and reloads when it settles. */
export function waitingPage(status: JobStatus, urls: JobUrls, nonce: string): string {
  const script = `<script nonce="${nonce}">(function(){var s=document.getElementById('state');
function poll(){fetch(${scriptJson(urls.status)},{cache:'no-store'}).then(function(r){return r.json()}).then(function(j){
s.textContent=j.state+(j.stage&&j.stage!==j.state?' ('+j.stage+')':'');if(j.state==='done'||j.state==='failed'){location.reload()}else{setTimeout(poll,500)}
}).catch(function(){setTimeout(poll,2000)})}setTimeout(poll,300)})()</script>`
  const body = `<h1>Profiling ${escapeHtml(status.request.method)} ${escapeHtml(status.request.url)}</h1>
<p>The request is being replayed under the CPU profiler; this page shows the result when it is ready.</p>
${summary(status, `<span id="state" class="state">${escapeHtml(stateText(status))}</span>`)}${script}`
  return layout('geordi: profiling…', body, { nonce, refreshSeconds: 2 })
}

function topTable(status: JobStatus): string {
  if (!status.topSelf?.length) return ''
  const rows = status.topSelf
    .map((f) => `<tr><td><code>${escapeHtml(f.name)}</code></td><td>${escapeHtml(f.selfPercent ?? '')}%</td><td>${escapeHtml(f.totalPercent ?? '')}%</td></tr>`)
    .join('')
  return `<h2>Top functions by self time</h2><table><tr><th>Function</th><th>Self</th><th>Total</th></tr>${rows}</table>`
}

/**
 * The finished job: the flame graph (inline SVG written by geordi's worker, zoomed by a nonce'd
 * script), the call graph (as an image, so nothing in it can run) and the downloads.
 */
export function resultPage(status: JobStatus, urls: JobUrls, nonce: string, extras: { flameSvg?: string | undefined } = {}): string {
  const body = `<h1>CPU profile of ${escapeHtml(status.request.method)} ${escapeHtml(status.request.url)}</h1>
<p class="links"><a href="${escapeHtml(urls.pdf)}">Download PDF</a><a href="${escapeHtml(urls.svg)}">SVG</a><a href="${escapeHtml(urls.cpuprofile)}">.cpuprofile</a><a href="${escapeHtml(urls.speedscope)}">speedscope</a><a href="${escapeHtml(urls.pprof)}">pprof</a></p>
${summary(status)}${flameSection(extras.flameSvg, nonce)}${topTable(status)}<h2>Call graph</h2><a href="${escapeHtml(urls.svg)}"><img class="graph" alt="call graph" src="${escapeHtml(urls.svg)}"></a>`
  return layout('geordi: profile ready', body, { nonce })
}

/** The job failed: the reason, and what is known of it. */
export function failedPage(status: JobStatus, nonce: string): string {
  const body = `<h1 class="failed">Profiling failed</h1><p><code>${escapeHtml(status.error?.code ?? 'unknown')}</code>: ${escapeHtml(status.error?.message ?? 'no reason recorded')}</p>${summary(status)}`
  return layout('geordi: profiling failed', body, { nonce })
}

/** A short error page (404 for unknown or expired ids, 503 when Redis is down, 413 for big bodies). */
export function messagePage(title: string, code: string, message: string, nonce: string): string {
  return layout(`geordi: ${title}`, `<h1 class="failed">${escapeHtml(title)}</h1><p><code>${escapeHtml(code)}</code>: ${escapeHtml(message)}</p>`, { nonce })
}
