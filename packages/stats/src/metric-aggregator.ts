/**
 * Client-side aggregation of the toolkit's own metrics (request and operation timers and
 * counters), as aggregating StatsD clients do: a request only adds a number to a map, and once
 * per flush interval each counter leaves as one line and each timer as multi-value lines
 * (`key:12.5|ms:3.1|ms`, which Etsy's statsd has accepted since 0.5). Formatting and sending one
 * metric per request was most of what request metrics cost.
 *
 * What reaches Graphite stays the same: counters are summed (statsd sums them too), and timers
 * keep every raw value, so statsd still computes count, sum, mean, upper, lower and percentiles
 * from the same values (nothing is sampled). Memory stays bounded: once `maxValues` timer values
 * wait, the window is full and the transport drains it at once.
 */

/** Options of a {@link MetricAggregator}. */
export interface MetricAggregatorOptions {
  /** Prefix of every key (with its trailing dot), as the StatsD client would add it. */
  prefix: string
  /** Longest line handed to the client: a timer with more values is split over several lines. */
  maxLineLength: number
  /** Timer values (over every key) a window holds before it is full. */
  maxValues: number
}

/** Receives one StatsD line and the number of metrics (values) it carries. */
export type LineSink = (line: string, metrics: number) => void

/** Counters and timers of the current window, keyed by full Graphite key (without prefix). */
export class MetricAggregator {
  readonly #prefix: string
  readonly #maxLineLength: number
  readonly #maxValues: number
  #counters = new Map<string, number>()
  #timers = new Map<string, number[]>()
  #values = 0

  constructor(options: MetricAggregatorOptions) {
    this.#prefix = options.prefix
    this.#maxLineLength = options.maxLineLength
    this.#maxValues = options.maxValues
  }

  /** True when nothing was recorded since the last drain. */
  get empty(): boolean {
    return this.#counters.size === 0 && this.#timers.size === 0
  }

  count(key: string, value: number): void {
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + value)
  }

  /** Adds a timer value; returns true when the window is full and should be drained now. */
  timing(key: string, ms: number): boolean {
    const values = this.#timers.get(key)
    if (values === undefined) this.#timers.set(key, [ms])
    else values.push(ms)
    return ++this.#values >= this.#maxValues
  }

  /** Hands the window to `sink` as StatsD lines and starts a new one. */
  drain(sink: LineSink): void {
    const counters = this.#counters
    const timers = this.#timers
    this.#counters = new Map()
    this.#timers = new Map()
    this.#values = 0
    for (const [key, sum] of counters) sink(`${this.#prefix}${key}:${sum}|c`, 1)
    for (const [key, values] of timers) this.#drainTimer(key, values, sink)
  }

  #drainTimer(key: string, values: number[], sink: LineSink): void {
    const name = this.#prefix + key
    let line = name
    let inLine = 0
    for (const ms of values) {
      // Three decimals, as single sends had them: statsd gets the same numbers.
      const piece = `:${Math.round(ms * 1000) / 1000}|ms`
      if (inLine > 0 && line.length + piece.length > this.#maxLineLength) {
        sink(line, inLine)
        line = name
        inLine = 0
      }
      line += piece
      inLine++
    }
    sink(line, inLine)
  }
}
