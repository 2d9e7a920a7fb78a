import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { getContext } from '../context.js'
import { type OperationHandle, startShallowOperation } from '../operations.js'
import { type AnyFunction, applyTracked, unwrapMethod, wrapMethod } from './patch.js'
import { integrationState, recording, sharedInstall } from './state.js'

function describePath(target: unknown): string {
  if (typeof target === 'string') return target
  if (target instanceof URL) return target.pathname
  if (Buffer.isBuffer(target)) return target.toString('utf8')
  if (typeof target === 'number') return `fd ${target}`
  const fd = (target as { fd?: unknown } | null)?.fd
  return typeof fd === 'number' ? `fd ${fd}` : 'file'
}

// Only inside a request: a read at start-up has no report to name it in. The stack capture is
// what names the app's line; formatted only if a report reads it, it is still the main cost
// (bench/integrations, `integrations-fs-stream-cpu`), so it starts at the app's call of the
// patched function (`patched`) and takes 8 frames.
function track(verb: string, target: unknown, patched: Function): OperationHandle | undefined {
  if (!recording('fs') || getContext() === undefined) return undefined
  return startShallowOperation({ kind: 'fs', description: `${verb} ${describePath(target)}`, attributes: { operation: verb } }, patched)
}

function untilSettled(
  original: AnyFunction,
  verb: string,
  target: (self: unknown, args: unknown[]) => unknown,
  onResult?: (result: unknown) => void,
): AnyFunction {
  return function untilSettledWrapper(this: unknown, ...args: unknown[]): unknown {
    const handle = track(verb, target(this, args), untilSettledWrapper)
    if (handle === undefined) {
      const result = original.apply(this, args)
      onResult?.(result)
      return result
    }
    const result = applyTracked(original, this, args, handle)
    onResult?.(result)
    if (!(result instanceof Promise)) {
      handle.end()
      return result
    }
    // A branch of its own: the app's promise stays the one it handles (or leaves unhandled).
    result.then(
      () => handle.end(),
      (error: unknown) => handle.end(error),
    )
    return result
  }
}

function createReadStream(original: AnyFunction): AnyFunction {
  return function createReadStreamWrapper(this: unknown, ...args: unknown[]): unknown {
    const handle = track('read', args[0], createReadStreamWrapper)
    const stream = original.apply(this, args) as fs.ReadStream
    // 'close' follows 'end', an error and destroy() alike (fs streams auto-destroy); an 'error'
    // listener would make an unhandled stream error silently handled.
    if (handle !== undefined) stream.once('close', () => handle.end())
    return stream
  }
}

const firstArg = (_self: unknown, args: unknown[]) => args[0]
const self = (handle: unknown) => handle

interface FsReadsState {
  /** FileHandle's prototype, known once the first `open()` resolved (Node does not export the class). */
  fileHandle?: object
}

function fsReadsState(): FsReadsState {
  const bag = integrationState() as unknown as { fsReads?: FsReadsState }
  bag.fsReads ??= {}
  return bag.fsReads
}

function wrapFileHandle(handle: unknown): void {
  const state = fsReadsState()
  const proto = typeof handle === 'object' && handle !== null ? Object.getPrototypeOf(handle) : undefined
  if (proto === undefined || proto === null || state.fileHandle !== undefined) return
  state.fileHandle = proto
  wrapMethod(proto, 'read', (original) => untilSettled(original, 'read', self))
  wrapMethod(proto, 'readFile', (original) => untilSettled(original, 'read', self))
}

// FileHandle's prototype is reached through the first handle `open()` resolves with.
function learnFileHandle(result: unknown): void {
  if (fsReadsState().fileHandle === undefined && result instanceof Promise) result.then(wrapFileHandle, () => {})
}

function install(): void {
  wrapMethod(fs, 'createReadStream', createReadStream)
  wrapMethod(fsp, 'readFile', (original) => untilSettled(original, 'read', firstArg))
  wrapMethod(fsp, 'open', (original) => untilSettled(original, 'open', firstArg, learnFileHandle))
  syncBuiltinESMExports()
}

function uninstall(): void {
  unwrapMethod(fs, 'createReadStream')
  unwrapMethod(fsp, 'readFile')
  unwrapMethod(fsp, 'open')
  const state = fsReadsState()
  if (state.fileHandle !== undefined) {
    unwrapMethod(state.fileHandle, 'read')
    unwrapMethod(state.fileHandle, 'readFile')
    state.fileHandle = undefined
  }
  syncBuiltinESMExports()
}

/**
 * Patches the file read calls that can wait without bound — on a FIFO, a terminal, a device;
 * a file's type is unknown before its `open()`, which is what blocks on a FIFO, so regular files
 * are recorded too and end at once — once per process: `fs.createReadStream` (until the stream's `'close'`),
 * `fs.promises.readFile`, `fs.promises.open` and a `FileHandle`'s `read()` / `readFile()`
 * (until they settle), the ESM named exports too. Each is an `fs` operation of the request that
 * started it; reads outside any request are not recorded. Returns the function that stops this
 * install.
 */
export function instrumentFsReads(): () => void {
  return sharedInstall(fsp, 'intro.fs-reads', install, uninstall)
}
