import { Worker } from 'node:worker_threads'
import { ownSourceDirs, reportDiagnostic } from '@intro/core'
import { DogslowError, DogslowErrorCode } from './errors.js'
import { type MonitorData, type MonitorMessage, Slot, monitorThreadMain } from './monitor-thread.js'
import { StallCpu } from './stall-cpu.js'
import type { ReportCpu, ResolvedSettings } from './types.js'

/** The request the watchdog thread should know about: the oldest one not yet reported. */
export interface HeadRequest {
  seq: number
  deadline: number
  startTime: number
  /** `id\nmethod\nurl` (redacted), computed only when the watchdog thread needs it. */
  summary(): string
}

const GLOBAL_KEY = Symbol.for('intro.dogslow')
const SUMMARY_BYTES = 2048

interface GlobalProbe {
  probe(instanceId: number, payload: string): string | undefined
  instances: Map<number, (payload: string) => string>
}

/**
 * The watchdog thread evaluates `globalThis[Symbol.for('intro.dogslow')].probe(id, payload)`
 * in the paused main thread (`Debugger.evaluateOnCallFrame`), so the probe must be reachable
 * from any code position: it lives on `globalThis`, shared by every watchdog instance.
 */
function globalProbe(): GlobalProbe {
  const holder = globalThis as unknown as Record<symbol, GlobalProbe | undefined>
  let probe = holder[GLOBAL_KEY]
  if (probe === undefined) {
    const instances = new Map<number, (payload: string) => string>()
    probe = { instances, probe: (id, payload) => instances.get(id)?.(payload) }
    Object.defineProperty(globalThis, GLOBAL_KEY, { value: probe, enumerable: false, configurable: true })
  }
  return probe
}

let nextInstanceId = 1

/** Callbacks of the main-thread side. */
export interface LoopMonitorCallbacks {
  /** Runs in the paused main thread; returns the JSON the watchdog thread needs (reports to write). */
  onCapture(payload: string): string
  /** The current head, published at each heartbeat when it changed. */
  head(): HeadRequest | undefined
  onMessage(message: MonitorMessage): void
}

/**
 * Main-thread side of the blocked-loop watchdog. The main thread only stamps a heartbeat into
 * shared memory from an unref'd interval and publishes the oldest unreported request's
 * deadline; the watchdog thread compares them with the clock and, when a deadline passes while
 * the heartbeat is stale, pauses the main thread through the inspector to read its stack.
 */
export class LoopMonitor {
  readonly #shared = new Float64Array(new SharedArrayBuffer(8 * Float64Array.BYTES_PER_ELEMENT))
  readonly #summary = new Uint8Array(new SharedArrayBuffer(SUMMARY_BYTES))
  readonly #encoder = new TextEncoder()
  readonly #instanceId = nextInstanceId++
  readonly #callbacks: LoopMonitorCallbacks
  readonly #interval: NodeJS.Timeout
  readonly #worker: Worker
  readonly #cpu = new StallCpu()
  #closed = false

  constructor(settings: ResolvedSettings, callbacks: LoopMonitorCallbacks) {
    this.#callbacks = callbacks
    // A beat every tenth of the timer (10–100 ms): the thread needs a few missed beats to call the loop blocked.
    const heartbeatMs = Math.min(100, Math.max(10, settings.timerMs / 10))
    this.#shared[Slot.heartbeat] = Date.now()
    this.#interval = setInterval(() => this.#beat(), heartbeatMs)
    this.#interval.unref()
    globalProbe().instances.set(this.#instanceId, (payload) => callbacks.onCapture(payload))
    const data: MonitorData = {
      instanceId: this.#instanceId,
      state: this.#shared.buffer as SharedArrayBuffer,
      summary: this.#summary.buffer as SharedArrayBuffer,
      slot: Slot,
      pollMs: Math.max(5, heartbeatMs / 2),
      // A floor of 200 ms: a loaded machine stalls a healthy loop for tens of milliseconds (GC, module loading).
      staleMs: Math.max(200, heartbeatMs * 3),
      nativeWaitMs: 500,
      inspector: settings.inspector,
      inspectorOffReason: 'the inspector is turned off (`inspector: false` / DOGSLOW_INSPECTOR=0)',
      stackVars: settings.stackVars,
      maxFrames: settings.limits.maxFrames,
      maxFramesWithLocals: settings.limits.maxFramesWithLocals,
      maxLocalsPerFrame: settings.limits.maxLocalsPerFrame,
      ownDirs: ownSourceDirs(),
      logToFile: settings.logToFile,
      outputDir: settings.outputDir,
    }
    this.#worker = new Worker(`(${monitorThreadMain.toString()})(require('node:worker_threads').workerData)`, {
      eval: true,
      workerData: data,
      name: 'dogslow-watchdog',
      stdout: false,
      stderr: false,
    })
    this.#worker.on('message', (message: MonitorMessage) => callbacks.onMessage(message))
    this.#worker.on('error', (error) => {
      reportDiagnostic({
        level: 'error',
        scope: 'dogslow.monitor',
        message: 'the watchdog thread failed; blocked event loops are no longer reported',
        error: new DogslowError('dogslow watchdog thread failed', { code: DogslowErrorCode.monitorFailed, cause: error }),
      })
    })
    // After the listeners: adding a 'message' listener refs the worker's port again, and a
    // ref'd watchdog would keep the app alive at exit.
    this.#worker.unref()
  }

  #beat(): void {
    const shared = this.#shared
    shared[Slot.heartbeat] = Date.now()
    this.#cpu.sample()
    if (shared[Slot.summarySeq] !== shared[Slot.headSeq]) this.#publishSummary(this.#callbacks.head())
  }

  #publishSummary(head: HeadRequest | undefined): void {
    if (head === undefined) return
    const { written } = this.#encoder.encodeInto(head.summary(), this.#summary)
    this.#shared[Slot.summaryLength] = written
    this.#shared[Slot.summarySeq] = head.seq
  }

  /**
   * Tells the watchdog thread which request reaches its deadline first (`seq` 0: none). Numbers
   * only, called on every request that starts or ends at the head: the next heartbeat copies the
   * head's id and URL.
   */
  publishHead(seq: number, startTime: number, deadline: number): void {
    const shared = this.#shared
    if (seq === 0) {
      shared[Slot.headDeadline] = 0
      return
    }
    shared[Slot.headStart] = startTime
    shared[Slot.headSeq] = seq
    shared[Slot.headDeadline] = deadline
  }

  /** Requests up to this sequence number were already reported by the watchdog thread. */
  nativeClaimedSeq(): number {
    return this.#shared[Slot.nativeClaimedSeq] ?? 0
  }

  /** The main thread's CPU use from the last heartbeat to `untilMs`: computing or waiting. */
  stallCpu(untilMs: number): ReportCpu | undefined {
    return this.#cpu.since(untilMs)
  }

  /** Last heartbeat (ms since epoch). */
  lastHeartbeat(): number {
    return this.#shared[Slot.heartbeat] ?? 0
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#interval)
    globalProbe().instances.delete(this.#instanceId)
    this.#worker.postMessage({ type: 'close' })
    await this.#worker.terminate()
  }
}
