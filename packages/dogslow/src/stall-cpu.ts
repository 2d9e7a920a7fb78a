import { readFileSync } from 'node:fs'
import type { ReportCpu } from './types.js'

type Usage = { user: number; system: number }
const threadCpuUsage = (process as { threadCpuUsage?: () => Usage }).threadCpuUsage

// Linux before Node 23.9: the main thread's own clock from procfs (its thread id is the pid), in
// clock ticks of 10 ms. A ~10 µs read per heartbeat, at most ten a second.
const PROC_STAT = `/proc/self/task/${process.pid}/stat`
function procThreadUsage(): Usage | undefined {
  try {
    const text = readFileSync(PROC_STAT, 'latin1')
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are the 12th and 13th.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    const user = Number(fields[11])
    const system = Number(fields[12])
    return Number.isFinite(user) && Number.isFinite(system) ? { user: user * 10_000, system: system * 10_000 } : undefined
  } catch {
    return undefined
  }
}

function pickReader(): { read: () => Usage; measuredBy: ReportCpu['measuredBy'] } {
  if (typeof threadCpuUsage === 'function') return { read: () => threadCpuUsage.call(process), measuredBy: 'thread' }
  if (process.platform === 'linux' && procThreadUsage() !== undefined) return { read: () => procThreadUsage() ?? { user: 0, system: 0 }, measuredBy: 'thread' }
  // Elsewhere the process's figure also counts the watchdog thread and libuv's pool.
  return { read: () => process.cpuUsage(), measuredBy: 'process' }
}

const { read, measuredBy } = pickReader()

// Above this share of the stall on the CPU the thread was computing; below it, waiting in the
// kernel. Low, because on a machine shared with other work a busy thread gets a fraction of a
// core (measured: 45% on a loaded 2-core box), while a thread in a system call gets ~0.
const COMPUTING_SHARE = 0.15

/**
 * The main thread's CPU clock, sampled at each heartbeat, so that a blocked report
 * can tell a busy loop from a thread stuck in a system call (execSync, a synchronous read of a
 * FIFO, Atomics.wait): the wall time of the stall is the same, the CPU time is not.
 */
export class StallCpu {
  #atMs = Date.now()
  #cpuUs = 0

  constructor() {
    this.sample()
  }

  /** Called at each heartbeat, while the loop runs. */
  sample(): void {
    const usage = read()
    this.#atMs = Date.now()
    this.#cpuUs = usage.user + usage.system
  }

  /** CPU used since the last heartbeat, up to `untilMs` (when the stall ended or was paused). */
  since(untilMs: number): ReportCpu | undefined {
    const usage = read()
    const wallMs = untilMs - this.#atMs
    if (!(wallMs > 0)) return undefined
    const cpuMs = Math.max(0, (usage.user + usage.system - this.#cpuUs) / 1000)
    return { cpuMs: Math.round(cpuMs), wallMs: Math.round(wallMs), verdict: cpuMs / wallMs >= COMPUTING_SHARE ? 'computing' : 'waiting', measuredBy }
  }
}
