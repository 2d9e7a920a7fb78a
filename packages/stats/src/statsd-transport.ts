import dns from 'node:dns'
import net from 'node:net'
import { reportDiagnostic } from '@intro/core'
import { StatsD } from 'hot-shots'
import { StatsError, StatsErrorCode } from './errors.js'
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

/** hot-shots keeps no public count of the packets handed to its socket and not yet sent. */
interface HotShotsInternals {
  messagesInFlight?: unknown
}

/** Sends metrics through hot-shots; never throws, never queues without bound. */
export class StatsdTransport {
  readonly #client: StatsD
  readonly #internals: HotShotsInternals
  readonly #tagged: boolean
  readonly #maxInFlight: number
  #dropped = 0
  #lastErrorReport = Number.NEGATIVE_INFINITY
  #closed = false

  constructor(options: ResolvedStatsOptions) {
    this.#tagged = options.mode !== 'graphite'
    this.#maxInFlight = options.maxPacketsInFlight
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

  /** Records a timing under a Graphite key built by the caller (Graphite mode only). */
  timingKey(key: string, ms: number): void {
    if (this.#full()) return
    this.#client.timing(key, Math.round(ms * 1000) / 1000)
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
      this.#client.flush()
    } catch (error) {
      this.#onError(error as Error)
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
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
