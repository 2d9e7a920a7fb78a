import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { reportDiagnostic } from '@intro/core'

/**
 * The native watchdog (native/cow.cc): one persistent thread per Node environment that stops
 * running JavaScript with `TerminateExecution` at a deadline; `run` cancels the termination at
 * its own boundary. Far cheaper per call than the inspector (docs/cow.md, "How it works", has
 * the measured costs), because arming a deadline is a mutex and a vector push (the thread is
 * woken only when the new deadline is the earliest).
 */
export interface NativeWatchdog {
  /**
   * Calls `fn` with `timeoutMs` as its limit. Returns true when this call's own deadline stopped
   * it, false when it returned; rethrows its exception; leaves a termination aimed at an
   * enclosing call pending, so V8 unwinds to that call.
   */
  run(fn: () => void, timeoutMs: number): boolean
  /** Version of the interface above; bumped when it changes. */
  readonly version: number
}

const INTERFACE_VERSION = 1

// Every copy of this package in a thread shares one addon, hence one watchdog: with two, the
// deadline of one copy's inner block could cancel the termination the other copy's watchdog
// aimed at an outer block, which would then run on unchecked.
const sharedKey = Symbol.for(`intro.cow.native.v${INTERFACE_VERSION}`)

/** Where the prebuilt for this platform, architecture and Node ABI lives in the package. */
export function prebuiltPath(): string {
  const file = `../prebuilds/${process.platform}-${process.arch}/cow.abi${process.versions.modules}.node`
  return fileURLToPath(new URL(file, import.meta.url))
}

function isWatchdog(value: unknown): value is NativeWatchdog {
  const candidate = value as Partial<NativeWatchdog> | undefined
  return typeof candidate?.run === 'function' && candidate.version === INTERFACE_VERSION
}

/** The watchdog of this thread, or why there is none. */
export type NativeLoad = { watchdog: NativeWatchdog; reason?: undefined } | { watchdog?: undefined; reason: string; error?: unknown }

/**
 * Loads the watchdog for this thread. The package ships prebuilts for linux-x64 on the ABIs of
 * Node 20, 22, 24 and 26 (115, 127, 137, 147) and builds one at install where a compiler
 * exists; anywhere else the caller falls back to the inspector, slower per call (measured in
 * docs/cow.md), so the reason is reported once as a warning.
 */
export function loadNativeWatchdog(): NativeLoad {
  const shared = (globalThis as Record<symbol, unknown>)[sharedKey]
  if (isWatchdog(shared)) return { watchdog: shared }
  const path = prebuiltPath()
  if (!existsSync(path)) {
    return { reason: `no native watchdog for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules} (${path} is missing)` }
  }
  try {
    const addon: unknown = createRequire(import.meta.url)(path)
    if (!isWatchdog(addon)) throw new Error(`${path} is not the native watchdog of interface version ${INTERFACE_VERSION}`)
    Object.defineProperty(globalThis, sharedKey, { value: addon, configurable: true })
    return { watchdog: addon }
  } catch (error) {
    return { reason: `the native watchdog at ${path} failed to load`, error }
  }
}

/** The one warning of a thread that runs on a fallback: what is missing and what it costs. */
export function reportFallback(load: Extract<NativeLoad, { reason: string }>, fallback: string): void {
  reportDiagnostic({
    level: 'warn',
    scope: 'cow.preemption',
    // The costs are measured, per Node line, by bench/cow (docs/benchmarks.md) and summed up in
    // docs/cow.md; a figure written here would go stale with the machine and the Node line.
    message: `${load.reason}; preempting through ${fallback}, which costs more per synchronous withTimeout call than the native watchdog (measured per Node line in docs/benchmarks.md, "cow"; see docs/cow.md, "How it works")`,
    error: load.error,
  })
}
