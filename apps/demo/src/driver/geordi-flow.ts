import { ADMIN_COOKIE } from '../scenarios.js'
import { get } from './http.js'

/** What the admin saw after asking for `?__geordi__`. */
export interface GeordiFlowResult {
  jobId: string | undefined
  /** Final job state (`done`, `failed`) or how far it got. */
  state: string
  /** The PDF as downloaded over HTTP from the result's link. */
  pdfBytes: number
  /** Why it did not produce a PDF. */
  problem: string | undefined
}

interface JobStatusJson {
  state?: string
  error?: { code?: string; message?: string }
  urls?: { pdf?: string }
}

const POLL_MS = 300
const JOB_TIMEOUT_MS = 45_000

/**
 * Follows geordi's flow as a browser would: the 303 to the job page, then the job's status
 * (`?__geordi__=<id>.json`) until it settles, then the PDF link.
 */
export async function followGeordi(baseUrl: string, location: string | undefined, jobId: string | undefined): Promise<GeordiFlowResult> {
  const options = { cookie: ADMIN_COOKIE, timeoutMs: 20_000 }
  if (location === undefined || jobId === undefined) {
    return { jobId, state: 'not started', pdfBytes: 0, problem: 'geordi did not redirect to a job page (is the admin authorized?)' }
  }
  const page = await get(new URL(location, baseUrl).href, options)
  if (page.status !== 200) return { jobId, state: 'unknown', pdfBytes: 0, problem: `the job page answered ${page.status}` }
  const statusUrl = new URL(location.replace(`__geordi__=${jobId}`, `__geordi__=${jobId}.json`), baseUrl).href
  const deadline = Date.now() + JOB_TIMEOUT_MS
  let status: JobStatusJson = {}
  while (Date.now() < deadline) {
    const response = await get(statusUrl, options)
    if (response.status === 200) status = JSON.parse(response.body) as JobStatusJson
    if (status.state === 'done' || status.state === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  const state = status.state ?? 'unknown'
  if (state !== 'done') {
    const reason = status.error ? `${status.error.code}: ${status.error.message}` : `still ${state} after ${JOB_TIMEOUT_MS / 1000} s`
    return { jobId, state, pdfBytes: 0, problem: `the profiling job did not finish (${reason})` }
  }
  if (status.urls?.pdf === undefined) return { jobId, state, pdfBytes: 0, problem: 'the finished job has no PDF link' }
  const pdf = await get(new URL(status.urls.pdf, baseUrl).href, options)
  if (pdf.status !== 200 || !pdf.head.startsWith('%PDF-')) {
    return { jobId, state, pdfBytes: pdf.bytes, problem: `the PDF link answered ${pdf.status} ${pdf.contentType}` }
  }
  return { jobId, state, pdfBytes: pdf.bytes, problem: undefined }
}
