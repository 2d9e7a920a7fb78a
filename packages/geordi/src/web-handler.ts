import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { redactUrl, reportDiagnostic } from '@intro/core'
import { identifyAdmin } from './admin-identity.js'
import { geordiRequestOf, headerStartsProfiling, mayBeGeordiRequest, wantsJson } from './api-trigger.js'
import { captureRequest, fullUrl } from './capture-request.js'
import type { Dispatcher } from './dispatcher.js'
import { GeordiError, GeordiErrorCodes } from './errors.js'
import { type GeordiRequest, geordiUrl, sameOriginPath } from './geordi-param.js'
import { InlineDispatcher } from './inline-dispatcher.js'
import { JobLimiter, type JobSlot } from './job-limiter.js'
import type { GeordiJobData } from './job-data.js'
import type { ResolvedGeordiOptions } from './options.js'
import { escapeHtml, type JobUrls, failedPage, messagePage, resultPage, waitingPage } from './pages.js'
import { QueueDispatcher } from './queue-dispatcher.js'
import { recentPage, recentProfiles } from './recent-page.js'
import type { ReplayTarget } from './replay.js'
import { newResultId } from './result-id.js'
import { isFinal, ResultStore } from './result-store.js'
import { startRefusal } from './start-guard.js'
import type { JobStatus, ResultFileKind } from './types.js'
import { watchJob } from './watch-job.js'

const SWEEP_EVERY_MS = 60_000
const HTML = 'text/html; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
// Reloads the waiting page for clients without JavaScript (the page's script polls faster).
const WAITING_REFRESH_SECONDS = 2
// A job takes about a second or two; by then a slot has likely been freed.
const RETRY_AFTER_SECONDS = 5
const FILE_TYPES: Record<ResultFileKind, { type: string; disposition: string; extension: string }> = {
  pdf: { type: 'application/pdf', disposition: 'attachment', extension: 'pdf' },
  svg: { type: 'image/svg+xml', disposition: 'inline', extension: 'svg' },
  flame: { type: 'image/svg+xml', disposition: 'inline', extension: 'flame.svg' },
  cpuprofile: { type: 'application/json', disposition: 'attachment', extension: 'cpuprofile' },
  speedscope: { type: 'application/json', disposition: 'attachment', extension: 'speedscope.json' },
  // Served as the gzip file it is, not with `Content-Encoding: gzip`: a browser would unpack it,
  // and pprof tools want the `.pb.gz` bytes.
  pprof: { type: 'application/octet-stream', disposition: 'attachment', extension: 'pb.gz' },
}

function pageHeaders(res: ServerResponse, nonce: string): void {
  res.setHeader('Cache-Control', 'no-store')
  // The id in the URL is the only key to the result: never send it on in a Referer.
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Robots-Tag', 'noindex')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('X-Frame-Options', 'DENY')
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; img-src 'self'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  )
}

function send(res: ServerResponse, statusCode: number, type: string, body: string): void {
  res.statusCode = statusCode
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(body)
}

/** An error or refusal: a short page, or `{ error: { code, message } }` for a client asking for JSON. */
function sendMessage(res: ServerResponse, statusCode: number, title: string, code: string, message: string, nonce: string): void {
  if (wantsJson(res.req)) send(res, statusCode, JSON_TYPE, JSON.stringify({ error: { code, message } }))
  else send(res, statusCode, HTML, messagePage(title, code, message, nonce))
}

/** Where this web server can be reached from inside its own process (inline mode). */
function selfTarget(req: IncomingMessage): ReplayTarget {
  const socket = req.socket
  const host = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
  return { host, port: socket.localPort ?? 80, tls: (socket as TLSSocket).encrypted === true }
}

/**
 * The framework-neutral part of the middleware: `handle(req, res)` answers `?__geordi__`
 * requests of authorized users and returns true, or returns false and leaves the request to
 * the app untouched (not authorized, no parameter).
 */
export class GeordiHandler<Req> {
  readonly options: ResolvedGeordiOptions<Req>
  readonly store: ResultStore
  readonly dispatcher: Dispatcher
  #lastSweep = 0
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #limiter: JobLimiter

  constructor(options: ResolvedGeordiOptions<Req>) {
    this.options = options
    this.store = new ResultStore(options.outDir)
    this.dispatcher =
      options.mode === 'queue' ? new QueueDispatcher(options as ResolvedGeordiOptions<unknown>) : new InlineDispatcher(this.store)
    this.#limiter = new JobLimiter({
      perAdmin: options.maxPendingJobsPerAdmin,
      total: options.maxPendingJobs,
      isSettled: (id) => this.#isSettled(id),
    })
  }

  /** Runs the `authorize` hook; a missing hook, a throw or a rejection mean "no". */
  async isAuthorized(request: Req): Promise<boolean> {
    const authorize = this.options.authorize
    if (authorize === undefined) return false
    try {
      return (await authorize(request)) === true
    } catch (error) {
      reportDiagnostic({ level: 'error', scope: 'geordi.authorize', message: 'authorize hook failed; treated as not authorized', error })
      return false
    }
  }

  /** Answers the request when it is an authorized geordi request; otherwise returns false and does nothing. */
  async handle(req: IncomingMessage, res: ServerResponse, request: Req): Promise<boolean> {
    if (!mayBeGeordiRequest(req)) return false
    const parsed = geordiRequestOf(req)
    if (parsed === undefined || !(await this.isAuthorized(request))) return false
    const nonce = randomBytes(12).toString('base64')
    pageHeaders(res, nonce)
    try {
      await this.#serve(parsed.request, parsed.strippedUrl, req, res, request, nonce)
    } catch (error) {
      const unsafeDir = error instanceof GeordiError && error.code === GeordiErrorCodes.unsafeOutDir
      reportDiagnostic({ level: 'error', scope: 'geordi.handler', message: unsafeDir ? error.message : 'serving a geordi request failed', error })
      if (res.headersSent) res.destroy()
      else if (unsafeDir) sendMessage(res, 503, 'Profiling unavailable', error.code, 'the results directory is not safe to use; see the diagnostics', nonce)
      else sendMessage(res, 500, 'Internal error', 'ERR_GEORDI_INTERNAL', 'geordi could not serve this request; see the diagnostics', nonce)
    }
    return true
  }

  async #serve(geordi: GeordiRequest, strippedUrl: string, req: IncomingMessage, res: ServerResponse, request: Req, nonce: string): Promise<void> {
    switch (geordi.kind) {
      case 'start':
        return this.#start(strippedUrl, req, res, request, nonce)
      case 'invalid':
        return this.#notFound(res, nonce)
      case 'recent':
        return this.#recent(strippedUrl, res, nonce)
      default: {
        const stored = await this.store.read(geordi.id)
        if (stored === undefined) return this.#notFound(res, nonce)
        const status = await watchJob(stored, this.dispatcher, this.store)
        const urls = jobUrls(strippedUrl, status.id)
        jobHeaders(res, status, urls)
        if (geordi.kind === 'file') return this.#file(res, status, geordi.file, nonce)
        if (geordi.kind === 'status' || wantsJson(req)) return send(res, 200, JSON_TYPE, JSON.stringify({ ...status, urls }))
        if (!isFinal(status)) res.setHeader('Refresh', String(WAITING_REFRESH_SECONDS))
        const html =
          status.state === 'done' ? resultPage(status, urls, nonce, { flameSvg: await this.store.readText(status.id, 'flame') }) : status.state === 'failed' ? failedPage(status, nonce) : waitingPage(status, urls, nonce)
        return send(res, 200, HTML, html)
      }
    }
  }

  #notFound(res: ServerResponse, nonce: string): void {
    sendMessage(res, 404, 'Not found', 'ERR_GEORDI_NOT_FOUND', 'no such profiling result, or it has expired', nonce)
  }

  /** `?__geordi__=recent`: links carry the listing's path only, never its query (which may hold secrets). */
  async #recent(strippedUrl: string, res: ServerResponse, nonce: string): Promise<void> {
    const path = strippedUrl.split('?')[0] ?? '/'
    const profiles = await recentProfiles(this.store, (id) => jobUrls(path, id))
    if (wantsJson(res.req)) return send(res, 200, JSON_TYPE, JSON.stringify({ profiles }))
    send(res, 200, HTML, recentPage(profiles, nonce))
  }

  async #file(res: ServerResponse, status: JobStatus, kind: ResultFileKind, nonce: string): Promise<void> {
    const opened = status.state === 'done' ? await this.store.openFile(status.id, kind) : undefined
    if (opened === undefined) return this.#notFound(res, nonce)
    const { type, disposition, extension } = FILE_TYPES[kind]
    res.statusCode = 200
    res.setHeader('Content-Type', type)
    res.setHeader('Content-Length', opened.size)
    res.setHeader('Content-Disposition', `${disposition}; filename="geordi-${status.id}.${extension}"`)
    if (type === 'image/svg+xml') res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
    await new Promise<void>((done, fail) => {
      opened.stream.on('error', fail)
      res.on('close', () => {
        opened.stream.destroy()
        done()
      })
      opened.stream.pipe(res)
    })
  }

  async #start(strippedUrl: string, req: IncomingMessage, res: ServerResponse, request: Req, nonce: string): Promise<void> {
    const refusal = startRefusal(req, this.options.replayUnsafeMethods)
    if (refusal !== undefined) {
      if (refusal.statusCode === 405) res.setHeader('Allow', 'GET, HEAD')
      return sendMessage(res, refusal.statusCode, refusal.title, refusal.code, refusal.message, nonce)
    }
    this.store.verify()
    this.#maybeSweep()
    // Taken before the body is read: requests over the limit cost neither memory nor Redis.
    const admin = await identifyAdmin({ req, request, hook: this.options.adminKey })
    const slot = await this.#limiter.reserve(admin.key)
    if (slot === undefined) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS))
      const message = `too many profiling jobs are unfinished (at most ${this.options.maxPendingJobsPerAdmin} per admin, ${this.options.maxPendingJobs} in all); try again once one has finished`
      return sendMessage(res, 429, 'Too many profiling jobs', GeordiErrorCodes.tooManyJobs, message, nonce)
    }
    try {
      await this.#enqueue(strippedUrl, req, res, slot, admin.label, nonce)
    } catch (error) {
      slot.release()
      throw error
    }
  }

  async #enqueue(strippedUrl: string, req: IncomingMessage, res: ServerResponse, slot: JobSlot, admin: string, nonce: string): Promise<void> {
    const { options } = this
    let captured: GeordiJobData['request']
    try {
      captured = await captureRequest(req, strippedUrl, options.maxBodyBytes)
    } catch (error) {
      if (!(error instanceof GeordiError)) throw error
      slot.release()
      return sendMessage(res, 413, 'Request body too large', error.code, error.message, nonce)
    }
    const now = Date.now()
    const id = newResultId()
    const limits = { timeLimitMs: options.timeLimitMs, queueTimeoutMs: options.queueTimeoutMs, renderTimeoutMs: options.renderTimeoutMs }
    const status: JobStatus = {
      version: 1,
      id,
      state: 'queued',
      createdAt: now,
      updatedAt: now,
      expiresAt: now + options.resultTtlMs,
      mode: this.dispatcher.mode,
      limits,
      request: { method: captured.method, url: redactUrl(fullUrl(captured)) },
      admin,
    }
    await this.store.create(status)
    slot.assign(id)
    const data: GeordiJobData = { version: 1, id, createdAt: now, request: captured, samplingIntervalUs: options.samplingIntervalUs, minSamples: options.minSamples, resultTtlMs: options.resultTtlMs, ...limits }
    try {
      await this.dispatcher.dispatch(data, selfTarget(req))
    } catch (error) {
      const code = error instanceof GeordiError ? error.code : GeordiErrorCodes.queueUnavailable
      const message = error instanceof Error ? error.message : String(error)
      await this.store.update(id, () => ({ state: 'failed', finishedAt: Date.now(), error: { code, message } }))
      slot.release()
      reportDiagnostic({ level: 'error', scope: 'geordi.queue', message: 'could not queue a profiling job', error })
      res.setHeader('X-Geordi-Job', id)
      return sendMessage(res, 503, 'Profiling unavailable', code, message, nonce)
    }
    this.#expireIfNotTaken(id)
    const urls = jobUrls(strippedUrl, id)
    res.setHeader('Location', urls.page)
    res.setHeader('Geordi-Result', urls.page)
    res.setHeader('X-Geordi-Job', id)
    // API clients (X-Geordi, or asking for JSON) get 202 and poll; a browser follows the 303 to the waiting page.
    const apiClient = headerStartsProfiling(req) || wantsJson(req)
    if (wantsJson(req)) return send(res, 202, JSON_TYPE, JSON.stringify({ ...status, urls }))
    send(res, apiClient ? 202 : 303, HTML, `<!doctype html><a href="${escapeHtml(urls.page)}">Profiling…</a>`)
  }

  /** Whether a job no longer holds a slot: settled, expired, or brought to its end by {@link watchJob}. */
  async #isSettled(id: string): Promise<boolean> {
    const status = await this.store.read(id)
    if (status === undefined || isFinal(status)) return true
    return isFinal(await watchJob(status, this.dispatcher, this.store))
  }

  // The job holds the admin's credentials: if no worker takes it, remove it at queueTimeoutMs
  // even when nobody is watching its page any more.
  #expireIfNotTaken(id: string): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.store
        .read(id)
        .then((status) => (status?.state === 'queued' ? watchJob(status, this.dispatcher, this.store) : undefined))
        .catch((error: unknown) => reportDiagnostic({ level: 'warn', scope: 'geordi.queue', message: 'expiring an untaken job failed', error }))
    }, this.options.queueTimeoutMs + 250)
    timer.unref()
    this.#timers.add(timer)
  }

  #maybeSweep(): void {
    const now = Date.now()
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return
    this.#lastSweep = now
    this.store.sweep(now).catch((error: unknown) => reportDiagnostic({ level: 'warn', scope: 'geordi.sweep', message: 'sweeping expired results failed', error }))
  }

  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    return this.dispatcher.close()
  }
}

function jobUrls(url: string, id: string): JobUrls {
  const strippedUrl = sameOriginPath(url)
  return {
    page: geordiUrl(strippedUrl, id),
    status: geordiUrl(strippedUrl, `${id}.json`),
    pdf: geordiUrl(strippedUrl, `${id}.pdf`),
    svg: geordiUrl(strippedUrl, `${id}.svg`),
    cpuprofile: geordiUrl(strippedUrl, `${id}.cpuprofile`),
    flame: geordiUrl(strippedUrl, `${id}.flame.svg`),
    speedscope: geordiUrl(strippedUrl, `${id}.speedscope.json`),
    pprof: geordiUrl(strippedUrl, `${id}.pb.gz`),
  }
}

function jobHeaders(res: ServerResponse, status: JobStatus, urls: JobUrls): void {
  res.setHeader('X-Geordi-Job', status.id)
  res.setHeader('X-Geordi-State', status.state)
  if (status.workerHost) res.setHeader('X-Geordi-Worker-Host', status.workerHost.replace(/[^\x20-\x7e]/g, '?'))
  if (status.error) res.setHeader('X-Geordi-Error', status.error.code)
  if (status.state === 'done') {
    res.setHeader('X-Geordi-Pdf', urls.pdf)
    res.setHeader('X-Geordi-Svg', urls.svg)
    res.setHeader('X-Geordi-Profile', urls.cpuprofile)
    res.setHeader('X-Geordi-Speedscope', urls.speedscope)
    res.setHeader('X-Geordi-Pprof', urls.pprof)
  }
}
