import diagnosticsChannel from 'node:diagnostics_channel'
import { rm } from 'node:fs/promises'
import { redactHeaders, redactUrl, reportDiagnostic } from '@intro/core'
import { fullUrl, headersObject } from './capture-request.js'
import { profileClockUs, type RunningProfile, startCpuProfile, trimProfileStart } from './cpu-profiler.js'
import { stitchProfiles } from './profile-stitch.js'
import { GeordiError, GeordiErrorCodes, describeFailure } from './errors.js'
import { JOB_CHANNEL } from './job-channel.js'
import type { GeordiJobData } from './job-data.js'
import type { CpuProfile, FunctionSummary, RenderReportResult } from './render/index.js'
import { renderOnThread } from './render-thread.js'
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

const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage

/**
 * CPU time of this thread (Node ≥ 23.9), else of the process: the request's own CPU, without the
 * profiler's sampling thread or the render thread.
 */
function mainThreadCpu(): NodeJS.CpuUsage {
  return typeof threadCpuUsage === 'function' ? threadCpuUsage.call(process) : process.cpuUsage()
}

/** The configured profiler taking over from the fine one when a request outlasts the window. */
interface HandOver {
  profile: RunningProfile
  /** When the fine profile's samples end: before this profiler's start held the thread. */
  cutUs: number
  /** When this profiler's start returned: its samples before are of the start itself. */
  fromUs: number
  fine: Promise<CpuProfile>
}

/**
 * Replays the request once under the profiler. A short request gets a fine profile: a profiler
 * sampling at a finer interval runs for as long as a request would need to give `minSamples`
 * at the configured `samplingIntervalUs` (0.5 s by default). A request that ends within that
 * window is reported from the fine profile alone. When the window ends first, the configured
 * profiler starts and the fine one stops (its sampler costs too much CPU to run on), and the
 * report joins the two. Only one profiler starts before the request: each start makes V8 log
 * every function compiled so far (tens of ms in a loaded app), and two starts doubled that wait.
 * A profiler runs throughout: V8 books samples in code optimized while none ran under the caller.
 */
async function profileReplay(data: GeordiJobData, env: RunJobEnv) {
  const plan = samplingPlan(data.samplingIntervalUs, data.minSamples ?? 500)
  const first = await startCpuProfile(plan.fineIntervalUs ?? plan.intervalUs)
  let handOver: Promise<HandOver | undefined> | undefined
  const window =
    plan.fineIntervalUs === undefined
      ? undefined
      : setTimeout(() => {
          const cutUs = profileClockUs()
          handOver = startCpuProfile(plan.intervalUs).then(
            (profile) => ({ profile, cutUs, fromUs: profileClockUs(), fine: first.stop() }),
            // Without a second profiler the fine one goes on: a costlier but complete profile.
            () => undefined,
          )
        }, plan.fineWindowMs)
  const fromUs = profileClockUs()
  const cpuBefore = mainThreadCpu()
  const startedHr = performance.now()
  let response: ReplayResponse
  try {
    response = await replayRequest(env.target, data.request, data.timeLimitMs, env.signal)
  } catch (error) {
    clearTimeout(window)
    await Promise.all([first.discard(), handOver?.then((second) => second && Promise.all([second.profile.discard(), second.fine.catch(() => undefined)]))])
    throw error
  } finally {
    clearTimeout(window)
  }
  const wallMs = performance.now() - startedHr
  const cpuAfter = mainThreadCpu()
  const second = await handOver
  const [firstProfile, secondProfile] = await Promise.all([second?.fine ?? first.stop(), second?.profile.stop()])
  const trimmed = trimProfileStart(firstProfile, fromUs)
  const profile: CpuProfile = second && secondProfile ? stitchProfiles(trimmed, trimProfileStart(secondProfile, second.fromUs), second.cutUs) : trimmed
  const fine = plan.fineIntervalUs !== undefined && second === undefined
  const intervalUs = fine ? plan.fineIntervalUs! : plan.intervalUs
  return {
    response,
    profile,
    wallMs,
    cpuMs: (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1000,
    sampling: { intervalUs, samples: profile.samples?.length ?? 0, fine },
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
  // On a thread of its own (see RenderThread): the web process that only installs the middleware
  // never loads the renderer (pdfkit, fontkit, Graphviz as WASM), and the profiled thread's heap
  // never holds it.
  const rendering = renderOnThread({
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
  })
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
