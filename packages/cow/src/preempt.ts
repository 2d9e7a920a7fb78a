import { randomUUID } from 'node:crypto'
import inspector from 'node:inspector'
import vm from 'node:vm'

/**
 * Runs a synchronous function so that another thread can stop it at a deadline and the
 * caller gets control back with a normal exception, whatever the function is doing
 * (a CPU loop, a catastrophic regex).
 *
 * V8 stops running JavaScript only through `TerminateExecution`, which unwinds every JS frame
 * without running `catch`/`finally`, until C++ that called into JS cancels it. Node cancels it
 * in exactly two public places: `vm` with `timeout` (a new watchdog thread per call, ~50–80 µs
 * here) and the inspector's `Runtime.evaluate` with `timeout`, whose timer is a task on V8's
 * existing platform thread and whose scope cancels the termination on the way out (~13 µs).
 * The function therefore runs inside a synchronous `Runtime.evaluate` on an in-process
 * inspector session; `vm` is the fallback when the inspector is unavailable.
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

let session: inspector.Session | undefined
let sessionState: 'unknown' | 'connected' | 'unavailable' = 'unknown'
let vmScript: vm.Script | undefined
let lastError: Error | null = null

function storeError(error: Error | null): void {
  lastError = error
}

function getSession(): inspector.Session | undefined {
  if (sessionState === 'unknown') {
    if (process.env.INTRO_COW_PREEMPTION === 'vm') {
      sessionState = 'unavailable'
      return undefined
    }
    try {
      session = new inspector.Session()
      session.connect()
      sessionState = 'connected'
    } catch {
      // Node built without the inspector, or a host that forbids it: vm still preempts.
      session = undefined
      sessionState = 'unavailable'
    }
  }
  return session
}

/** Which mechanism preempts synchronous code in this thread: `'inspector'` or `'vm'`. */
export function preemptionMode(): 'inspector' | 'vm' {
  return getSession() === undefined ? 'vm' : 'inspector'
}

function evaluate(active: inspector.Session, timeoutMs: number): void {
  // Synchronous on an in-process session: the callback has run when post() returns.
  active.post('Runtime.evaluate', { expression, timeout: timeoutMs }, storeError)
  // A frame neither returned nor threw without an error: the hook was not reachable in the
  // context the inspector evaluates in (a host that runs our module in another vm context).
  if (lastError === null && frames[frames.length - 1]!.state === RUNNING) {
    sessionState = 'unavailable'
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
  const depth = frames.length
  frames.push(frame)
  const active = getSession()
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
  if (active === undefined) {
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
