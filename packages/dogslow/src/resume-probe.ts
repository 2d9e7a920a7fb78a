import { createHook, executionAsyncResource } from 'node:async_hooks'
import { type RequestContext, getContext } from '@intro/core'
import { innermostApp, parseStack } from './stack-frames.js'
import type { ReportCulprit } from './types.js'

/** Where and when a reported request's own code ran again after an untracked wait. */
export interface Resumption {
  /** Milliseconds since the request started. */
  atMs: number
  /** What it resumed on: `Promise` (an `await`; `callback` on Node 24), `FSReqCallback`, `Process`, `Timeout`, … */
  via: string
  /** The app line that ran (the line after the `await`, or in the callback). */
  where: ReportCulprit
}

/**
 * Follows requests reported while waiting on nothing dogslow can see (a lock, a promise held
 * by another request, a socket of an untracked client). No wait was recorded for them, so no line is
 * known; an async hook, enabled only while such a request is in flight (never for a healthy
 * app's requests), notes the first time that request's own code runs again: the first async
 * resource it creates from an app frame. That names where it went on, and after how long.
 * While enabled it costs a store lookup per async resource in the process, and a stack capture
 * per resource the followed request creates until its app code shows up.
 */
export class ResumeProbe {
  readonly #probes = new Map<RequestContext, Resumption | null>()
  readonly #hook = createHook({ init: () => this.#onInit() })
  #enabled = false

  /** Starts following `context`. */
  follow(context: RequestContext): void {
    this.#probes.set(context, null)
    if (!this.#enabled) {
      this.#enabled = true
      this.#hook.enable()
    }
  }

  /** Whether `context` is followed. */
  follows(context: RequestContext): boolean {
    return this.#probes.has(context)
  }

  /** Stops following `context`; returns where it resumed, if it did. */
  finish(context: RequestContext): Resumption | undefined {
    const seen = this.#probes.get(context)
    this.#probes.delete(context)
    if (this.#probes.size === 0) this.close()
    return seen ?? undefined
  }

  close(): void {
    this.#probes.clear()
    if (this.#enabled) {
      this.#enabled = false
      this.#hook.disable()
    }
  }

  #onInit(): void {
    const context = getContext()
    if (context === undefined || this.#probes.get(context) !== null) return
    const holder: { stack?: string } = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 64
    Error.captureStackTrace(holder)
    Error.stackTraceLimit = limit
    const where = innermostApp(parseStack(holder.stack ?? ''), 'suspended')
    if (where === undefined) return
    const resource = executionAsyncResource() as { constructor?: { name?: string } } | undefined
    const name = resource?.constructor?.name
    // Node 24 runs promise continuations under a plain object (its async context frames).
    const via = name === undefined || name === '' || name === 'Object' ? 'callback' : name
    this.#probes.set(context, { atMs: Date.now() - context.startTime, via, where })
  }
}
