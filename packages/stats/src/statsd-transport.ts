import dns from 'node:dns'
import net from 'node:net'
import { reportDiagnostic } from '@intro/core'
import { StatsD } from 'hot-shots'
import { StatsError, StatsErrorCode } from './errors.js'
import { MetricAggregator } from './metric-aggregator.js'
import { graphiteKey, tagValue } from './metric-names.js'
import type { ResolvedStatsOptions } from './options.js'
import type { MetricTags } from './types.js'

const SCOPE = 'stats'
// One diagnostic per minute is enough to say StatsD is unreachable; more would flood the
// diagnostics of an app whose StatsD is simply not running.
const ERROR_REPORT_INTERVAL_MS = 60_000

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void

/**
 * A `dgram` lookup that resolves the StatsD host once per `ttlMs` in the background instead of
 * once per packet: with an unresolvable host, a per-packet `dns.lookup` queues one pending
 * lookup (and its packet) per flush on libuv's small thread pool, which is how a missing StatsD
 * grows memory and starves `fs` and `crypto`.
 */
function cachedLookup(host: string, ttlMs: number) {
  let address: string | undefined
  let family = 4
  let resolvedAt = Number.NEGATIVE_INFINITY
  let resolving = false
  const refresh = () => {
    if (resolving) return
    resolving = true
    dns.lookup(host, { family: 4 }, (error, result, resultFamily) => {
      resolving = false
      resolvedAt = Date.now()
      if (error === null) {
        address = result
        family = resultFamily
      }
    })
  }
  refresh()
  return (hostname: string, options: unknown, callback?: LookupCallback) => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback
    // dgram binds its socket through this lookup too ('0.0.0.0'): answered synchronously, a first
    // send from a dying process (an uncaught exception's counter) still leaves before it exits.
    const literal = net.isIP(hostname)
    if (literal !== 0) {
      cb(null, hostname, literal)
      return
    }
    if (hostname !== host) {
      dns.lookup(hostname, { family: 4 }, cb)
      return
    }
    if (Date.now() - resolvedAt > ttlMs) refresh()
    if (address !== undefined) {
      cb(null, address, family)
      return
    }
    const error: NodeJS.ErrnoException = new Error(`StatsD host ${host} is not resolved`)
    error.code = 'ENOTFOUND'
    cb(error, '', 4)
  }
}

/**
 * hot-shots keeps no public count of the packets handed to its socket and not yet sent, and its
 * typings leave out `send`, which buffers a line that is already formatted (the aggregated lines).
 */
interface HotShotsInternals {
  messagesInFlight?: unknown
  send?: unknown
}

// Timer values a window holds before it is sent early: bounds memory between flushes, and one
// drain to ~40 full packets, well under the default maxPacketsInFlight of 100.
const MAX_WINDOW_VALUES = 5000
// Graphite keys built from operation names and tags are cached (sanitising costs ~0.4 µs); the cap
// keeps unbounded tag values (a bug elsewhere) from growing the cache forever.
const MAX_CACHED_KEYS = 5000
// Line length when hot-shots buffers nothing (`maxBufferSize: 0`): one Ethernet MTU's payload.
const UNBUFFERED_LINE_LENGTH = 1432

/** Sends metrics through hot-shots; never throws, never queues without bound. */
export class StatsdTransport {
  readonly #client: StatsD
  readonly #internals: HotShotsInternals
  readonly #tagged: boolean
  readonly #maxInFlight: number
  readonly #flushIntervalMs: number
  readonly #aggregator: MetricAggregator
  #drainTimer: NodeJS.Timeout | undefined
  readonly #keys = new Map<string, string>()
  #dropped = 0
  #lastErrorReport = Number.NEGATIVE_INFINITY
  #closed = false

  constructor(options: ResolvedStatsOptions) {
    this.#tagged = options.mode !== 'graphite'
    this.#maxInFlight = options.maxPacketsInFlight
    this.#flushIntervalMs = options.flushIntervalMs
    this.#aggregator = new MetricAggregator({
      prefix: options.prefix,
      maxLineLength: options.maxBufferSize > 0 ? options.maxBufferSize : UNBUFFERED_LINE_LENGTH,
      maxValues: MAX_WINDOW_VALUES,
    })
    const udpSocketOptions =
      net.isIP(options.host) === 0
        ? { type: 'udp4' as const, lookup: cachedLookup(options.host, options.dnsTtlMs) as never }
        : undefined
    this.#client = new StatsD({
      host: options.host,
      port: options.port,
      prefix: options.prefix,
      protocol: 'udp',
      maxBufferSize: options.maxBufferSize,
      bufferFlushInterval: options.flushIntervalMs,
      telegraf: options.mode === 'telegraf',
      globalTags: this.#tagged ? options.globalTags : {},
      errorHandler: (error) => this.#onError(error),
      ...(udpSocketOptions === undefined ? {} : { udpSocketOptions }),
    })
    this.#internals = this.#client as unknown as HotShotsInternals
    // The in-flight cap is what keeps an unreachable or stalled StatsD from growing memory: a
    // hot-shots release without this counter must fail here, at start-up, not silently lift the cap.
    if (typeof this.#internals.messagesInFlight !== 'number') {
      this.#client.close()
      throw new StatsError('the installed hot-shots does not count messagesInFlight: maxPacketsInFlight cannot be enforced', {
        code: StatsErrorCode.unsupportedClient,
      })
    }
    if (typeof this.#internals.send !== 'function') {
      this.#client.close()
      throw new StatsError('the installed hot-shots has no send(): aggregated metrics cannot be sent', {
        code: StatsErrorCode.unsupportedClient,
      })
    }
  }

  get dropped(): number {
    return this.#dropped
  }

  #onError(error: Error): void {
    this.#dropped++
    const now = Date.now()
    if (now - this.#lastErrorReport < ERROR_REPORT_INTERVAL_MS) return
    this.#lastErrorReport = now
    reportDiagnostic({ level: 'warn', scope: SCOPE, message: 'StatsD send failed; metrics are dropped', error })
  }

  #full(): boolean {
    if (this.#closed || (this.#internals.messagesInFlight as number) >= this.#maxInFlight) {
      this.#dropped++
      return true
    }
    return false
  }

  /** True in DogStatsD/Telegraf mode (tags), false in Graphite mode (key segments). */
  get tagged(): boolean {
    return this.#tagged
  }

  /**
   * Records a timing under a Graphite key built by the caller (Graphite mode only), aggregated:
   * it is sent with the other values of its key at the end of the flush interval.
   */
  timingKey(key: string, ms: number): void {
    if (this.#closed) {
      this.#dropped++
      return
    }
    if (this.#aggregator.timing(key, ms)) this.flush()
    else if (this.#drainTimer === undefined) this.#scheduleDrain()
  }

  /** Adds to a counter under a Graphite key built by the caller (Graphite mode only), aggregated. */
  countKey(key: string, value: number): void {
    if (this.#closed) {
      this.#dropped++
      return
    }
    this.#aggregator.count(key, value)
    if (this.#drainTimer === undefined) this.#scheduleDrain()
  }

  /**
   * The toolkit's own timers (operations): aggregated under a cached Graphite key in Graphite
   * mode, sent as they come with tags otherwise.
   */
  recordTiming(name: string, ms: number, tags: MetricTags): void {
    if (this.#tagged) this.timing(name, ms, tags)
    else this.timingKey(this.#cachedKey(name, tags), ms)
  }

  /** The toolkit's own counters (operation errors), like {@link recordTiming}. */
  recordCount(name: string, value: number, tags: MetricTags): void {
    if (this.#tagged) this.increment(name, value, tags)
    else this.countKey(this.#cachedKey(name, tags), value)
  }

  #cachedKey(name: string, tags: MetricTags): string {
    let cacheKey = name
    for (const value of Object.values(tags)) cacheKey += `\0${value}`
    let key = this.#keys.get(cacheKey)
    if (key === undefined) {
      key = graphiteKey(name, tags)
      if (this.#keys.size < MAX_CACHED_KEYS) this.#keys.set(cacheKey, key)
    }
    return key
  }

  // Armed by the first metric of a window, so an idle process wakes up for nothing.
  #scheduleDrain(): void {
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined
      this.flush()
    }, this.#flushIntervalMs)
    this.#drainTimer.unref()
  }

  #drainAggregates(): void {
    if (this.#aggregator.empty) return
    const send = this.#internals.send as (line: string) => void
    this.#aggregator.drain((line, metrics) => {
      if ((this.#internals.messagesInFlight as number) >= this.#maxInFlight) {
        this.#dropped += metrics
        return
      }
      send.call(this.#client, line)
    })
  }

  timing(name: string, ms: number, tags?: MetricTags): void {
    if (this.#full()) return
    const value = Math.round(ms * 1000) / 1000
    if (this.#tagged) this.#client.timing(name, value, toTags(tags))
    else this.#client.timing(graphiteKey(name, tags), value)
  }

  increment(name: string, value: number, tags?: MetricTags): void {
    if (this.#full()) return
    if (this.#tagged) this.#client.increment(name, value, toTags(tags))
    else this.#client.increment(graphiteKey(name, tags), value)
  }

  gauge(name: string, value: number, tags?: MetricTags): void {
    if (this.#full()) return
    if (this.#tagged) this.#client.gauge(name, value, toTags(tags))
    else this.#client.gauge(graphiteKey(name, tags), value)
  }

  /**
   * Hands the buffer to the socket now. The send itself is synchronous once the socket is bound
   * and the host resolved, so this works from `uncaughtExceptionMonitor` and `'exit'` listeners,
   * after which the process runs no more callbacks.
   */
  flush(): void {
    if (this.#closed) return
    try {
      this.#drainAggregates()
      this.#client.flush()
    } catch (error) {
      this.#onError(error as Error)
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    clearTimeout(this.#drainTimer)
    try {
      this.#drainAggregates()
    } catch (error) {
      this.#onError(error as Error)
    }
    this.#closed = true
    return new Promise((resolve) => {
      try {
        this.#client.close(() => resolve())
      } catch (error) {
        reportDiagnostic({ level: 'warn', scope: SCOPE, message: 'closing the StatsD client failed', error })
        resolve()
      }
    })
  }
}

function toTags(tags: MetricTags | undefined): Record<string, string> | undefined {
  if (tags === undefined) return undefined
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(tags)) out[key] = tagValue(value)
  return out
}
