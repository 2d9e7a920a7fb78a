import diagnosticsChannel from 'node:diagnostics_channel'
import { rm } from 'node:fs/promises'
import { redactHeaders, redactUrl, reportDiagnostic } from '@intro/core'
import { fullUrl, headersObject } from './capture-request.js'
import { profileClockUs, startCpuProfile, trimProfileStart } from './cpu-profiler.js'
import { GeordiError, GeordiErrorCodes, describeFailure } from './errors.js'
import { JOB_CHANNEL } from './job-channel.js'
import type { GeordiJobData } from './job-data.js'
import type { CpuProfile, FunctionSummary, RenderReportResult } from './render/index.js'
import { type ReplayResponse, type ReplayTarget, replayRequest } from './replay.js'
import { isFinal, type ResultStore } from './result-store.js'
import { samplingPlan } from './sampling-plan.js'
import { type JobStatus, ResultFiles } from './types.js'

const jobChannel = diagnosticsChannel.channel(JOB_CHANNEL)

/** What {@link runJob} needs besides the job. */
export interface RunJobEnv {
  store: ResultStore
  target: ReplayTarget
  workerHost: string
  /** Cancels the replay (the worker aborts when the app crashes mid-request). */
  signal?: AbortSignal
  /** Progress: `running`, then the renderer's stages. */
  onStage?: (stage: string) => void
  callGraphMaxNodes?: number
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

function summarize(rows: readonly FunctionSummary[]): JobStatus['topSelf'] {
  return rows.slice(0, 10).map((row) => ({
    name: `${row.functionName} ${row.location}`,
    selfPercent: Math.round(row.selfFraction * 1000) / 10,
    totalPercent: Math.round(row.totalFraction * 1000) / 10,
  }))
}

/**
 * Replays the request once under the profiler. A short request gets a fine profile: besides the
 * one at `samplingIntervalUs`, a second profiler samples at a finer interval for as long as a
 * request would need to give `minSamples` at the configured one (0.5 s by default); a request
 * that ends within that window is reported from the fine profile, a longer one from the
 * configured profile (the fine one stops at the window's end). Both run from the start, in one
 * run: V8 books samples in code optimized before a profiler started under the caller, so a
 * second replay profiled afresh would hide the app's hot functions.
 */
async function profileReplay(data: GeordiJobData, env: RunJobEnv) {
  const plan = samplingPlan(data.samplingIntervalUs, data.minSamples ?? 500)
  const coarse = await startCpuProfile(plan.intervalUs)
  const fine = plan.fineIntervalUs === undefined ? undefined : await startCpuProfile(plan.fineIntervalUs).catch(() => undefined)
  let fineStopped = false
  const window = fine && setTimeout(() => {
    fineStopped = true
    void fine.discard()
  }, plan.fineWindowMs)
  const fromUs = profileClockUs()
  const cpuBefore = process.cpuUsage()
  const startedHr = performance.now()
  let response: ReplayResponse
  try {
    response = await replayRequest(env.target, data.request, data.timeLimitMs, env.signal)
  } catch (error) {
    clearTimeout(window)
    await Promise.all([coarse.discard(), fine?.discard()])
    throw error
  } finally {
    clearTimeout(window)
  }
  const wallMs = performance.now() - startedHr
  const cpu = process.cpuUsage(cpuBefore)
  const useFine = fine !== undefined && !fineStopped && wallMs <= plan.fineWindowMs
  const kept = useFine ? fine : coarse
  const [profile] = await Promise.all([kept.stop(), (useFine ? coarse : fine)?.discard()])
  const trimmed: CpuProfile = trimProfileStart(profile, fromUs)
  const intervalUs = useFine ? plan.fineIntervalUs! : plan.intervalUs
  return {
    response,
    profile: trimmed,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    sampling: { intervalUs, samples: trimmed.samples?.length ?? 0, fine: useFine },
  }
}

function removeReport(report: RenderReportResult): Promise<unknown> {
  return Promise.all([report.pdfPath, report.svgPath, report.profilePath, report.flamePath, report.speedscopePath, report.pprofPath].map((path) => rm(path, { force: true }))).catch(() => undefined)
}

async function render(data: GeordiJobData, env: RunJobEnv, run: Awaited<ReturnType<typeof profileReplay>>, queuedMs: number) {
  const { request } = data
  // On timeout the render is told to stop before its next stage, and whatever it still
  // writes (it may be writing already) is deleted: a failed job leaves no report behind.
  const abandon = new AbortController()
  const timedOut = () => {
    const error = new GeordiError(`rendering took longer than ${data.renderTimeoutMs} ms`, { code: GeordiErrorCodes.renderFailed })
    abandon.abort(error)
    return error
  }
  // Loaded here, not at the top: the web process that only installs the middleware never renders,
  // and the renderer (pdfkit, fontkit, Graphviz as WASM) is most of geordi's memory.
  const rendering = import('./render/index.js').then(({ renderProfileReport }) =>
    renderProfileReport({
    profile: run.profile,
    samplingIntervalUs: run.sampling.intervalUs,
    meta: {
      request: { method: request.method, url: redactUrl(fullUrl(request)), headers: redactHeaders(headersObject(request.headers)) as never },
      response: {
        statusCode: run.response.statusCode,
        headers: redactHeaders(run.response.headers) as never,
        sizeBytes: run.response.sizeBytes,
      },
      timings: { wallMs: run.wallMs, cpuMs: run.cpuMs, queuedMs },
      workerHost: env.workerHost,
      createdAt: new Date(data.createdAt),
      title: `geordi ${request.method} ${redactUrl(request.url)}`,
    },
    outDir: env.store.dir(data.id),
    baseName: 'profile',
    ...(env.callGraphMaxNodes === undefined ? {} : { callGraph: { maxNodes: env.callGraphMaxNodes } }),
    onProgress: (stage) => {
      env.onStage?.(stage)
      void env.store.update(data.id, () => ({ stage })).catch(() => undefined)
    },
    signal: abandon.signal,
  }),
  )
  return withTimeout<RenderReportResult>(rendering, data.renderTimeoutMs, timedOut).catch((error: unknown) => {
    if (abandon.signal.aborted) void rendering.then(removeReport, () => undefined)
    if (error instanceof GeordiError) throw error
    throw new GeordiError(`rendering failed: ${error instanceof Error ? error.message : String(error)}`, {
      code: GeordiErrorCodes.renderFailed,
      cause: error,
    })
  })
}

/**
 * Runs one profiling job: replays the request under the CPU profiler, renders the report and
 * records every stage in the job's `status.json`. A job whose status is already final (given up
 * by the web side) or that waited longer than `queueTimeoutMs` is not run. Returns the final
 * status; failures are recorded, not thrown.
 */
export async function runJob(data: GeordiJobData, env: RunJobEnv): Promise<JobStatus | undefined> {
  const { store, workerHost } = env
  const current = await store.read(data.id)
  if (current === undefined || isFinal(current)) return current
  const startedAt = Date.now()
  const queuedMs = startedAt - data.createdAt
  try {
    if (queuedMs > data.queueTimeoutMs) {
      throw new GeordiError(`the job waited ${queuedMs} ms for a worker (queueTimeoutMs ${data.queueTimeoutMs})`, {
        code: GeordiErrorCodes.queueTimeout,
      })
    }
    await store.update(data.id, () => ({ state: 'running', stage: 'running', startedAt, workerHost }))
    env.onStage?.('running')
    const run = await profileReplay(data, env)
    const response = { statusCode: run.response.statusCode, headers: redactHeaders(run.response.headers), sizeBytes: run.response.sizeBytes }
    const timings = { queuedMs, wallMs: run.wallMs, cpuMs: run.cpuMs }
    await store.update(data.id, () => ({ state: 'rendering', stage: 'graph', response, timings, sampling: run.sampling }))
    env.onStage?.('rendering')
    const renderStart = performance.now()
    const report = await render(data, env, run, queuedMs)
    const final = await store.update(data.id, () => ({
      state: 'done',
      stage: undefined,
      finishedAt: Date.now(),
      timings: { ...timings, renderMs: performance.now() - renderStart },
      files: { ...ResultFiles },
      topSelf: summarize(report.topSelf),
    }))
    publish(final)
    return final
  } catch (error) {
    const failure = describeFailure(error, GeordiErrorCodes.replayFailed)
    reportDiagnostic({ level: 'warn', scope: 'geordi.job', message: `job ${data.id} failed: ${failure.code}` })
    const final = await store
      .update(data.id, () => ({ state: 'failed', stage: undefined, finishedAt: Date.now(), error: failure }))
      .catch(() => undefined)
    publish(final)
    return final
  }
}

function publish(status: JobStatus | undefined): void {
  if (status === undefined || !jobChannel.hasSubscribers) return
  jobChannel.publish({ id: status.id, state: status.state, workerHost: status.workerHost, timings: status.timings, error: status.error })
}
