import { performance } from 'node:perf_hooks'

/**
 * One progress line on stderr: rewritten in place on a terminal (with the step's elapsed time
 * ticking), one line per step otherwise (CI logs, pipes).
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream
  readonly #tty: boolean
  readonly #total: number
  #step = 0
  #label = ''
  #since = 0
  #timer: NodeJS.Timeout | undefined

  constructor(total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream
    this.#tty = stream.isTTY === true
    this.#total = total
  }

  /** Starts the next step. */
  step(label: string): void {
    this.#step = Math.min(this.#step + 1, this.#total)
    this.#label = label
    this.#since = performance.now()
    if (this.#tty) {
      this.#render()
      if (this.#timer === undefined) {
        this.#timer = setInterval(() => this.#render(), 250)
        this.#timer.unref()
      }
    } else {
      this.#stream.write(`${this.#prefix()} ${label}…\n`)
    }
  }

  /** Clears the line (terminal) so the summary starts on a clean one. */
  done(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    if (this.#tty) this.#stream.write('\r\x1b[K')
  }

  #prefix(): string {
    return `[${this.#step}/${this.#total}]`
  }

  #render(): void {
    const seconds = ((performance.now() - this.#since) / 1000).toFixed(1)
    const line = `${this.#prefix()} ${this.#label}… ${seconds}s`
    this.#stream.write(`\r\x1b[K${line.slice(0, (this.#stream.columns ?? 100) - 1)}`)
  }
}
