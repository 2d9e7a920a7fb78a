import { AsyncLocalStorage } from 'node:async_hooks'
import type { RequestContext } from './context.js'
import { reportDiagnostic } from './diagnostics.js'
import { ErrorCodes, IntroError } from './errors.js'
import { type InFlightRegistry, InFlightList } from './in-flight.js'
import type { LifecycleHooks } from './types.js'

/**
 * Process-wide state, shared by every installed copy of @intro/core.
 *
 * Two copies of core in one app (a dependency pinned to another version) would otherwise
 * each have their own AsyncLocalStorage, and a request started by one copy would be
 * invisible to the other. Like `@opentelemetry/api`, the first copy publishes its state on
 * `globalThis` under a registered symbol and later copies join it when the major version
 * (the state's shape) matches.
 */
export interface CoreState {
  readonly stateVersion: number
  readonly storage: AsyncLocalStorage<RequestContext>
  /** The requests being served, oldest first (earlier copies of core put a `Set` here: the same methods). */
  readonly inFlight: InFlightRegistry<RequestContext>
  readonly lifecycleHooks: Set<LifecycleHooks>
  /** Returns the context of the code running right now; read by watchdogs through the inspector. */
  readonly currentContext: () => RequestContext | undefined
  // Optional and attached on first use, so a copy that predates them shares the same state version.
  /** Directories of the toolkit's own code (see own-sources.ts). */
  ownSourceDirs?: Set<string>
  /** Library integrations and their patches (see integrations/). */
  integrations?: Record<string, unknown>
}

/** Bumped whenever the shape of {@link CoreState} (or of the per-request state) changes incompatibly. */
export const STATE_VERSION = 1
const KEY = Symbol.for('intro.core')

function createState(): CoreState {
  const storage = new AsyncLocalStorage<RequestContext>()
  return {
    stateVersion: STATE_VERSION,
    storage,
    inFlight: new InFlightList<RequestContext>(),
    lifecycleHooks: new Set(),
    currentContext: () => storage.getStore(),
  }
}

function resolveState(): { state: CoreState; conflict: boolean } {
  const holder = globalThis as unknown as Record<symbol, CoreState | undefined>
  const existing = holder[KEY]
  if (existing === undefined) {
    const state = createState()
    Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: true })
    return { state, conflict: false }
  }
  if (existing.stateVersion === STATE_VERSION) return { state: existing, conflict: false }
  return { state: createState(), conflict: true }
}

const resolved = resolveState()

if (resolved.conflict) {
  const other = (globalThis as unknown as Record<symbol, { stateVersion?: unknown } | undefined>)[KEY]?.stateVersion
  const message =
    `another copy of @intro/core with state version ${String(other)} is loaded; this copy (state version ${STATE_VERSION}) ` +
    'keeps its own request context, so requests started by one copy are invisible to the other: install a single version'
  reportDiagnostic({
    level: 'warn',
    scope: 'core.state',
    message,
    error: new IntroError(message, { code: ErrorCodes.incompatibleCopy }),
  })
}

/** The state this copy of core uses. */
export const coreState: CoreState = resolved.state

/** True when another, incompatible copy of core already owns the global state. */
export const stateConflict: boolean = resolved.conflict

/** The `globalThis` key, for tools that read the current context from another thread. */
export const CORE_STATE_KEY = KEY
