import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { reportDiagnostic } from '@intro/core'

/**
 * The native watchdog (native/cow.cc): one persistent thread per Node environment that stops
 * running JavaScript with `TerminateExecution` at a deadline; `run` cancels the termination at
 * its own boundary. ~0.2 µs per call against ~15 µs for the inspector, because arming a deadline
 * is a mutex and a vector push (the thread is woken only when the new deadline is the earliest).
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

/**
 * Loads the watchdog for this thread, or returns undefined (the caller falls back to the
 * inspector). A missing prebuilt is expected off the platform the package was packed on, so it
 * is only a notice unless `required`; a prebuilt that exists but does not load is a warning.
 */
export function loadNativeWatchdog(required: boolean): NativeWatchdog | undefined {
  const shared = (globalThis as Record<symbol, unknown>)[sharedKey]
  if (isWatchdog(shared)) return shared
  const path = prebuiltPath()
  if (!existsSync(path)) {
    reportDiagnostic({
      level: required ? 'warn' : 'info',
      scope: 'cow.preemption',
      message: `no native watchdog for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules} (${path}); preempting through the inspector`,
    })
    return undefined
  }
  try {
    const addon: unknown = createRequire(import.meta.url)(path)
    if (!isWatchdog(addon)) throw new Error(`${path} is not the native watchdog of interface version ${INTERFACE_VERSION}`)
    Object.defineProperty(globalThis, sharedKey, { value: addon, configurable: true })
    return addon
  } catch (error) {
    reportDiagnostic({ level: 'warn', scope: 'cow.preemption', message: 'the native watchdog failed to load; preempting through the inspector', error })
    return undefined
  }
}
