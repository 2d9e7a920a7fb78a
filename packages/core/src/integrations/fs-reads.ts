import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { getContext } from '../context.js'
import { type OperationHandle, startOperation } from '../operations.js'
import { unwrapMethod, wrapMethod } from './patch.js'
import { integrationState, recording, sharedInstall } from './state.js'

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown

function describePath(target: unknown): string {
  if (typeof target === 'string') return target
  if (target instanceof URL) return target.pathname
  if (Buffer.isBuffer(target)) return target.toString('utf8')
  if (typeof target === 'number') return `fd ${target}`
  const fd = (target as { fd?: unknown } | null)?.fd
  return typeof fd === 'number' ? `fd ${fd}` : 'file'
}

// Only inside a request: a read at start-up has no report to name it in, and a static file
// server's reads pay for the stack capture only while serving. The capture (~2.5 µs on an idle
// machine, formatted only if a report reads it) is what names the app's line.
function track(verb: string, target: unknown): OperationHandle | undefined {
  if (!recording('fs') || getContext() === undefined) return undefined
  return startOperation({ kind: 'fs', description: `${verb} ${describePath(target)}`, attributes: { operation: verb } })
}

function untilSettled(original: AnyFunction, verb: string, target: (self: unknown, args: unknown[]) => unknown): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    const handle = track(verb, target(this, args))
    if (handle === undefined) return original.apply(this, args)
    let result: unknown
    try {
      result = original.apply(this, args)
    } catch (error) {
      handle.end(error)
      throw error
    }
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
  return function (this: unknown, ...args: unknown[]): unknown {
    const handle = track('read', args[0])
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

function open(original: AnyFunction): AnyFunction {
  const tracked = untilSettled(original, 'open', firstArg)
  return function (this: unknown, ...args: unknown[]): unknown {
    const result = tracked.apply(this, args)
    if (fsReadsState().fileHandle === undefined && result instanceof Promise) result.then(wrapFileHandle, () => {})
    return result
  }
}

function install(): void {
  wrapMethod(fs, 'createReadStream', createReadStream)
  wrapMethod(fsp, 'readFile', (original) => untilSettled(original, 'read', firstArg))
  wrapMethod(fsp, 'open', open)
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
 * Patches the file reads that can wait without bound — on a FIFO, a terminal, a device —
 * once per process: `fs.createReadStream` (until the stream's `'close'`),
 * `fs.promises.readFile`, `fs.promises.open` and a `FileHandle`'s `read()` / `readFile()`
 * (until they settle), the ESM named exports too. Each is an `fs` operation of the request that
 * started it; reads outside any request are not recorded. Returns the function that stops this
 * install.
 */
export function instrumentFsReads(): () => void {
  return sharedInstall(fsp, 'intro.fs-reads', install, uninstall)
}
