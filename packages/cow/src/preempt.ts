import { randomUUID } from 'node:crypto'
import inspector from 'node:inspector'
import vm from 'node:vm'
import { IntroError, describeValue, invalidOption } from '@intro/core'
import { CowErrorCode } from './errors.js'
import { type NativeWatchdog, loadNativeWatchdog, reportFallback } from './native.js'
import type { PreemptionMode } from './types.js'

/**
 * Runs a synchronous function so that another thread can stop it at a deadline and the
 * caller gets control back with a normal exception, whatever the function is doing
 * (a CPU loop, a catastrophic regex).
 *
 * V8 stops running JavaScript only through `TerminateExecution`, which unwinds every JS frame
 * without running `catch`/`finally`, until C++ that called into JS cancels it. Three boundaries
 * do that, fastest first:
 * - `native`: the package's addon (native/cow.cc), a persistent watchdog thread per isolate and a
 *   C++ boundary that cancels only its own termination (~0.2 µs per call);
 * - `inspector`: a synchronous `Runtime.evaluate` with `timeout` on an in-process inspector
 *   session, whose timer is a task on V8's existing platform thread and whose scope cancels the
 *   termination on the way out (~13–17 µs); used when no prebuilt addon fits this Node;
 * - `vm`: `runInThisContext({ timeout })`, a new watchdog thread per call (~50–80 µs); used when
 *   the inspector is unavailable too.
 * Measured alternatives and why they were rejected are in docs/cow.md.
 */

/** The block is still running (or was unwound before it returned). */
export const RUNNING = 0
/** `fn` returned; `value` holds the result. */
export const RETURNED = 1
/** `fn` threw; `value` holds the exception. */
export const THREW = 2
/** This frame's own deadline stopped `fn`. */
export const TIMED_OUT = 3

export interface Frame {
  fn: (arg: AbortSignal | undefined) => unknown
  arg: AbortSignal | undefined
  /** `performance.now()` past which the block has timed out. */
  deadline: number
  state: number
  value: unknown
  /** Set when an enclosing deadline had to be signalled by an ordinary exception (fallback). */
  expired: boolean
}

// Frames of blocks currently on the JS stack, outermost first. Synchronous blocks nest
// strictly, so this mirrors the stack; frames skipped by a termination are dropped by the
// boundary that catches it (it truncates the array to its own depth).
const frames: Frame[] = []
// While a termination unwinds through several boundaries: the frame whose deadline caused it.
let unwindTarget: Frame | undefined

// Thrown as an ordinary exception when an enclosing deadline could not be enforced by
// termination (never expected; see terminateNow). Private so user code cannot construct it.
class Unwind extends Error {}

// Timers fire on millisecond ticks; a deadline this close to now counts as reached.
const DEADLINE_SLACK_MS = 1

function runTop(): void {
  const frame = frames[frames.length - 1]!
  try {
    frame.value = frame.fn(frame.arg)
    frame.state = RETURNED
  } catch (error) {
    frame.value = error
    frame.state = THREW
  }
}

// One hook per copy of this module: the evaluated expression finds it through the global
// symbol registry; the random suffix keeps two installed copies apart.
const hookName = `intro.cow.run.${randomUUID()}`
const expression = `globalThis[Symbol.for(${JSON.stringify(hookName)})]()`
Object.defineProperty(globalThis, Symbol.for(hookName), { value: runTop, configurable: true })

const MODES: readonly PreemptionMode[] = ['native', 'inspector', 'vm']

// Decided on first use, per thread (each worker loads its own watchdog or session).
let mode: PreemptionMode | undefined
let watchdog: NativeWatchdog | undefined
let session: inspector.Session | undefined
let vmScript: vm.Script | undefined
let lastError: Error | null = null

function storeError(error: Error | null): void {
  lastError = error
}

// A mistyped value is a configuration mistake: it throws at every use until fixed, rather than
// silently running on a mechanism the operator did not ask for.
function requestedMode(): PreemptionMode | undefined {
  const raw = process.env.INTRO_COW_PREEMPTION
  if (raw === undefined || raw === '') return undefined
  if (!(MODES as readonly string[]).includes(raw)) {
    throw invalidOption(RangeError, `Expected \`INTRO_COW_PREEMPTION\` to be one of ${MODES.join(', ')}, got ${describeValue(raw)}`)
  }
  return raw as PreemptionMode
}

function connectSession(): inspector.Session | undefined {
  try {
    const connected = new inspector.Session()
    connected.connect()
    return connected
  } catch {
    // Node built without the inspector, or a host that forbids it: vm still preempts.
    return undefined
  }
}

function resolveMode(): PreemptionMode {
  const requested = requestedMode()
  if (requested === undefined || requested === 'native') {
    const load = loadNativeWatchdog()
    if (load.watchdog !== undefined) {
      watchdog = load.watchdog
      mode = 'native'
      return mode
    }
    // Asked for by name: running on a 25× slower mechanism instead would hide the problem.
    if (requested === 'native') {
      throw new IntroError(`INTRO_COW_PREEMPTION=native cannot be honoured: ${load.reason}`, {
        code: CowErrorCode.nativeUnavailable,
        cause: load.error,
      })
    }
    session = connectSession()
    mode = session === undefined ? 'vm' : 'inspector'
    reportFallback(load, mode === 'vm' ? 'vm timeouts (no inspector either)' : 'the inspector')
    return mode
  }
  if (requested !== 'vm') session = connectSession()
  mode = session === undefined ? 'vm' : 'inspector'
  return mode
}

/**
 * Which mechanism preempts synchronous code in this thread: `'native'` (the package's watchdog
 * addon), `'inspector'` (no prebuilt addon for this platform and Node ABI) or `'vm'` (no
 * inspector either, or `INTRO_COW_PREEMPTION=vm`). Decided on first use.
 *
 * @example
 * ```ts
 * if (preemptionMode() !== 'native') logger.info('withTimeout runs on its fallback')
 * ```
 */
export function preemptionMode(): PreemptionMode {
  return mode ?? resolveMode()
}

function evaluate(active: inspector.Session, timeoutMs: number): void {
  // Synchronous on an in-process session: the callback has run when post() returns.
  active.post('Runtime.evaluate', { expression, timeout: timeoutMs }, storeError)
  // A frame neither returned nor threw without an error: the hook was not reachable in the
  // context the inspector evaluates in (a host that runs our module in another vm context).
  if (lastError === null && frames[frames.length - 1]!.state === RUNNING) {
    mode = 'vm'
    session?.disconnect()
    session = undefined
    runInVm(timeoutMs)
  }
}

function runInVm(timeoutMs: number): void {
  vmScript ??= new vm.Script(expression)
  try {
    vmScript.runInThisContext({ timeout: Math.max(1, Math.ceil(timeoutMs)) })
  } catch (error) {
    // ERR_SCRIPT_EXECUTION_TIMEOUT: this call's own watchdog fired. An enclosing vm call's
    // termination is not converted by Node here and keeps unwinding to that call.
    if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error
  }
}

// Starts a termination from the main thread itself: it unwinds from here to the next
// boundary below, which converts it. Used when an enclosing deadline fired while a nested
// boundary was running: the nested boundary cancelled that termination on its way out.
function terminateNow(active: inspector.Session | undefined): void {
  if (active !== undefined) active.post('Runtime.terminateExecution', storeError)
}

function pickTarget(frame: Frame, depth: number): Frame {
  const now = performance.now() + DEADLINE_SLACK_MS
  let target = frame
  for (let i = 0; i < depth; i++) {
    const outer = frames[i]!
    if (outer.deadline <= now && outer.deadline <= target.deadline) target = outer
  }
  return target
}

/**
 * Runs `frame.fn(frame.arg)` with `timeoutMs` as its limit and records the outcome in
 * `frame.state`: RETURNED, THREW or TIMED_OUT. When an enclosing frame's deadline passes
 * first, this never returns normally: execution unwinds to that frame's boundary.
 */
export function runPreempted(frame: Frame, timeoutMs: number): void {
  const current = mode ?? resolveMode()
  const depth = frames.length
  frames.push(frame)
  if (current === 'native') {
    try {
      watchdog!.run(runTop, timeoutMs)
    } finally {
      frames.length = depth
    }
    // Returned without an outcome: the watchdog stopped the block for this frame's deadline.
    if (frame.state === RUNNING) frame.state = TIMED_OUT
    return
  }
  const active = current === 'inspector' ? session : undefined
  try {
    if (active === undefined) runInVm(timeoutMs)
    else evaluate(active, timeoutMs)
  } finally {
    frames.length = depth
  }
  if (frame.expired) {
    frame.state = TIMED_OUT
    return
  }
  if (frame.state !== RUNNING) return
  if (active === undefined || mode === 'vm') {
    frame.state = TIMED_OUT
    return
  }
  unwindTarget ??= pickTarget(frame, depth)
  if (unwindTarget !== frame) {
    terminateNow(active)
    // Only reached if the inspector refused to terminate: fall back to an ordinary exception,
    // which the target boundary recognises (code in between can catch it, so say so in docs).
    unwindTarget.expired = true
    unwindTarget = undefined
    throw new Unwind('enclosing deadline passed')
  }
  unwindTarget = undefined
  frame.state = TIMED_OUT
}

/** Frames of synchronous blocks running right now (for tests and diagnostics). */
export function activeFrameCount(): number {
  return frames.length
}
