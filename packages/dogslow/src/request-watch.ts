import { type RequestContext, runOutsideContext } from '@intro/core'
import type { HeadRequest } from './loop-monitor.js'
import { untracedSetTimeout } from './timer-tracking.js'

/** Watchdog state of one request. */
export interface WatchEntry {
  readonly context: RequestContext
  readonly deadline: number
  readonly seq: number
  /** Reported by the watchdog thread while native code held the loop. */
  reportedNatively?: boolean
  /** The main thread has handled the watchdog thread's report of that native block. */
  nativeHandled?: boolean
  /** The rate limit dropped its report, so its completion is not announced either. */
  suppressed?: boolean
  /** Report file, once written. */
  file?: string
  /** Settles when the report's file sink has finished. */
  delivered?: Promise<void>
}

/** Where the watchdog thread learns about the oldest unreported request. */
export interface HeadPublisher {
  /** `seq` 0: no request is pending. */
  publishHead(seq: number, startTime: number, deadline: number): void
  nativeClaimedSeq(): number
}

/**
 * The requests in flight and their deadlines. Every request gets the same timer, so deadlines
 * are in start order: an insertion-ordered Map is a priority queue, and one re-armed timer for
 * the oldest request replaces a timer per request (a Map set and delete per request instead of
 * a setTimeout/clearTimeout pair).
 */
export class RequestWatch {
  readonly pending = new Map<RequestContext, WatchEntry>()
  readonly reported = new Map<RequestContext, WatchEntry>()
  /** Entries the watchdog thread reported during a native block, by sequence number, until its message is handled. */
  readonly reportedNatively = new Map<number, WatchEntry>()
  readonly #timerMs: number
  readonly #onDue: (now: number) => void
  readonly #publisher: HeadPublisher | undefined
  readonly #describe: (context: RequestContext) => string | undefined
  #seq = 0
  #timer: NodeJS.Timeout | undefined
  #timerAt = Number.POSITIVE_INFINITY
  #head: WatchEntry | undefined

  constructor(
    timerMs: number,
    onDue: (now: number) => void,
    publisher: HeadPublisher | undefined,
    describeUrl: (context: RequestContext) => string | undefined,
  ) {
    this.#timerMs = timerMs
    this.#onDue = onDue
    this.#publisher = publisher
    this.#describe = describeUrl
  }

  start(context: RequestContext): void {
    if (this.pending.has(context) || this.reported.has(context)) return
    const entry: WatchEntry = { context, deadline: context.startTime + this.#timerMs, seq: ++this.#seq }
    this.pending.set(context, entry)
    if (this.pending.size === 1) {
      this.#head = entry
      // Numbers only: copying the redacted URL costs ~1 µs, which a hello world would pay on every
      // request (its map is empty at each start). The heartbeat copies it for requests that last.
      this.#publisher?.publishHead(entry.seq, context.startTime, entry.deadline)
    }
    if (entry.deadline < this.#timerAt) this.#arm(entry.deadline)
  }

  /** Forgets a finished request; returns its entry when it had been reported. */
  end(context: RequestContext): WatchEntry | undefined {
    const entry = this.pending.get(context)
    if (entry !== undefined) {
      this.pending.delete(context)
      if (entry === this.#head) this.#publishHead()
      // Reported by the watchdog thread during a native block that ended with the request itself,
      // before the main thread's timer could claim it.
      if (entry.seq === this.#publisher?.nativeClaimedSeq()) {
        entry.reportedNatively = true
        if (!entry.nativeHandled) this.reportedNatively.set(entry.seq, entry)
        return entry
      }
      return undefined
    }
    const reported = this.reported.get(context)
    if (reported !== undefined) this.reported.delete(context)
    return reported
  }

  /** The rate limit dropped this request's report: forget it now, and announce no completion. */
  suppress(entry: WatchEntry): void {
    entry.suppressed = true
    this.reported.delete(entry.context)
  }

  /** The oldest unreported request. */
  head(): HeadRequest | undefined {
    return this.#head === undefined ? undefined : this.#headRequest(this.#head)
  }

  /** Moves every request past its deadline to `reported` and returns them, oldest first. */
  claimDue(now: number): WatchEntry[] {
    const due: WatchEntry[] = []
    const nativeSeq = this.#publisher?.nativeClaimedSeq() ?? 0
    for (const entry of this.pending.values()) {
      if (entry.deadline > now) break
      if (entry.seq <= nativeSeq) {
        entry.reportedNatively = true
        if (!entry.nativeHandled) this.reportedNatively.set(entry.seq, entry)
      }
      due.push(entry)
    }
    for (const entry of due) {
      this.pending.delete(entry.context)
      this.reported.set(entry.context, entry)
    }
    if (due.length > 0) this.#publishHead()
    return due
  }

  #headRequest(entry: WatchEntry): HeadRequest {
    const { context } = entry
    return {
      seq: entry.seq,
      deadline: entry.deadline,
      startTime: context.startTime,
      summary: () => `${context.id}\n${context.method ?? ''}\n${this.#describe(context) ?? ''}`,
    }
  }

  #publishHead(): void {
    // An empty map (a hello world's, at every request's end) needs no iterator.
    const head = this.pending.size === 0 ? undefined : this.pending.values().next().value
    this.#head = head
    if (head === undefined) this.#publisher?.publishHead(0, 0, 0)
    else this.#publisher?.publishHead(head.seq, head.context.startTime, head.deadline)
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timerAt = at
    // Armed from inside the request that starts first: outside its context and untraced, or the
    // deadline timer would be listed as something that request waits on (and the reports,
    // sinks and their timers would run in its context).
    this.#timer = runOutsideContext(() => untracedSetTimeout(() => this.#fire(), Math.max(0, at - Date.now())))
    this.#timer.unref()
  }

  #fire(): void {
    this.#timer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
    this.#onDue(Date.now())
    const head = this.pending.values().next()
    if (!head.done) this.#arm(head.value.deadline)
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
    this.pending.clear()
    this.reported.clear()
    this.reportedNatively.clear()
    this.#publisher?.publishHead(0, 0, 0)
  }
}
