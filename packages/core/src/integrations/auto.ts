import Module from 'node:module'
import { safeExecute } from '../diagnostics.js'
import { instrumentChildProcess } from './child-process.js'
import { instrumentFetch } from './fetch.js'
import { instrumentFsReads } from './fs-reads.js'
import { instrumentHttpClient } from './http-client.js'
import { instrumentIoredis, isIoredisModule } from './ioredis.js'
import { instrumentMysql2, isMysql2Module } from './mysql2.js'
import { instrumentPg, isPgModule } from './pg.js'
import { type IntegrationName, addUser, integrationState } from './state.js'

/** Which integrations {@link enableIntegrations} turns on; each is on unless set to `false`. */
export interface IntegrationOptions {
  /** node-postgres: `Client#query`, `Pool#query`, submittables. */
  pg?: boolean
  /** mysql2: `query()` / `execute()` of connections and pools, callback and promise APIs. */
  mysql2?: boolean
  /** ioredis: every command (blocking ones included) and pipelines. */
  ioredis?: boolean
  /** `fetch` / undici, through undici's diagnostics channels. */
  fetch?: boolean
  /** `node:http` / `node:https` `request()` and `get()`. */
  http?: boolean
  /** Async child processes: `spawn`, `exec`, `execFile`, `fork` (callback and promisified). */
  childProcess?: boolean
  /** File reads that can wait without bound (a FIFO, a terminal): `fs.createReadStream`, `fs.promises.readFile` / `open` / `FileHandle#read`. */
  fs?: boolean
}

interface Driver {
  name: 'pg' | 'mysql2' | 'ioredis'
  /** The file that `require('<name>')` loads, as it ends inside node_modules. */
  entry: string
  accepts: (exports: unknown) => boolean
  instrument: (exports: unknown) => () => void
}

const DRIVERS: readonly Driver[] = [
  { name: 'pg', entry: '/node_modules/pg/lib/index.js', accepts: isPgModule, instrument: instrumentPg },
  { name: 'mysql2', entry: '/node_modules/mysql2/index.js', accepts: isMysql2Module, instrument: instrumentMysql2 },
  { name: 'ioredis', entry: '/node_modules/ioredis/built/index.js', accepts: isIoredisModule, instrument: instrumentIoredis },
]

interface AutoState {
  /** Enabled installs per driver; a module loaded later is instrumented while it is above 0. */
  wanted: Record<Driver['name'], number>
  /** Per driver, the module exports instrumented automatically, and how to undo each. */
  patched: Record<Driver['name'], Map<unknown, () => void>>
  hookCount: number
  unhook?: () => void
}

function autoState(): AutoState {
  const bag = integrationState() as unknown as { auto?: AutoState }
  bag.auto ??= {
    wanted: { pg: 0, mysql2: 0, ioredis: 0 },
    patched: { pg: new Map(), mysql2: new Map(), ioredis: new Map() },
    hookCount: 0,
  }
  return bag.auto
}

function normalize(path: string): string {
  return path.includes('\\') ? path.replace(/\\/g, '/') : path
}

function driverFor(request: string): Driver | undefined {
  for (const driver of DRIVERS) {
    if (request === driver.name || normalize(request).endsWith(driver.entry)) return driver
  }
  return undefined
}

function instrumentLoaded(driver: Driver, exports: unknown): void {
  const state = autoState()
  if (state.wanted[driver.name] === 0 || state.patched[driver.name].has(exports) || !driver.accepts(exports)) return
  const stop = safeExecute(`core.integrations.${driver.name}`, () => driver.instrument(exports))
  if (stop !== undefined) state.patched[driver.name].set(exports, stop)
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown
const ModuleWithLoad = Module as unknown as { _load: Load; _cache: Record<string, { exports?: unknown } | undefined> }

// CommonJS `require` and an ES module's `import` of a CommonJS package (pg, mysql2 and ioredis
// all are) both go through Module._load, with the package name or the entry file's path: one
// hook sees drivers loaded after the toolkit. The check is a string compare per require.
function installHook(): () => void {
  const original = ModuleWithLoad._load
  const hooked: Load = function (this: unknown, request, parent, isMain) {
    const exports = original.call(this, request, parent, isMain)
    if (typeof request === 'string') {
      const driver = driverFor(request)
      if (driver !== undefined) instrumentLoaded(driver, exports)
    }
    return exports
  }
  ModuleWithLoad._load = hooked
  return () => {
    if (ModuleWithLoad._load === hooked) ModuleWithLoad._load = original
  }
}

/** Drivers the app loaded before the toolkit: CommonJS's module cache holds them. */
function scanLoaded(): void {
  for (const [file, module] of Object.entries(ModuleWithLoad._cache)) {
    const driver = driverFor(file)
    if (driver !== undefined && module?.exports !== undefined) instrumentLoaded(driver, module.exports)
  }
}

/**
 * Turns on core's library integrations for whatever the app uses — loaded already or later,
 * from CommonJS or ES modules — so that every query, command, outbound call, child process and
 * unbounded file read is an operation
 * of its request (for the slow-request watchdog, timers, SQL comments). Shared by every
 * consumer and copy of the toolkit: enabling twice patches once, and the patches go once the
 * last consumer stops. Returns the function that stops this consumer.
 *
 * @example
 * ```ts
 * const stop = enableIntegrations({ mysql2: false })
 * ```
 */
export function enableIntegrations(options: IntegrationOptions = {}): () => void {
  const state = autoState()
  const stops: Array<() => void> = []
  const drivers = DRIVERS.filter((driver) => options[driver.name] !== false)
  for (const name of ['pg', 'mysql2', 'ioredis', 'fetch', 'http', 'childProcess', 'fs'] as const satisfies readonly IntegrationName[]) {
    if (options[name] !== false) stops.push(addUser(name))
  }
  if (options.fetch !== false) stops.push(instrumentFetch())
  if (options.http !== false) stops.push(instrumentHttpClient())
  if (options.childProcess !== false) stops.push(instrumentChildProcess())
  if (options.fs !== false) stops.push(instrumentFsReads())
  if (drivers.length > 0) {
    for (const driver of drivers) state.wanted[driver.name]++
    if (state.hookCount++ === 0) state.unhook = installHook()
    safeExecute('core.integrations.scan', scanLoaded)
    stops.push(() => {
      for (const driver of drivers) {
        if (--state.wanted[driver.name] > 0) continue
        for (const stop of state.patched[driver.name].values()) stop()
        state.patched[driver.name].clear()
      }
      if (--state.hookCount === 0) {
        state.unhook?.()
        state.unhook = undefined
      }
    })
  }
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    for (const stop of stops.splice(0).reverse()) safeExecute('core.integrations.stop', stop)
  }
}

/** For tests and diagnostics: which drivers are instrumented automatically right now. */
export function autoInstrumented(): Record<Driver['name'], number> {
  const { patched } = autoState()
  return { pg: patched.pg.size, mysql2: patched.mysql2.size, ioredis: patched.ioredis.size }
}

