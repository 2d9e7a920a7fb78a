import { ChildProcess } from 'node:child_process'
import { basename } from 'node:path'
import { type OperationHandle, startOperation } from '../operations.js'
import { type AnyFunction, applyTracked } from './patch.js'
import { recording, sharedWrap } from './state.js'

interface SpawnOptions {
  file?: unknown
  args?: unknown
}

// The program only: arguments carry passwords and tokens (`mysql -p…`, `curl -H …`) as often as
// anything useful. A shell command (`exec`, `shell: true`) names the shell's first word instead
// of `/bin/sh`.
function describe(options: SpawnOptions): string {
  const args = Array.isArray(options.args) ? options.args : []
  const file = typeof options.file === 'string' ? options.file : 'process'
  const shell = args.length >= 3 && args[1] === '-c' && typeof args[2] === 'string'
  const program = shell ? ((args[2] as string).trim().split(/\s+/)[0] ?? file) : file
  const more = (shell ? (args[2] as string).trim().includes(' ') : args.length > 1) ? ' …' : ''
  return `${basename(program)}${more}`
}

function spawn(original: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    if (!recording('childProcess') || !(this instanceof ChildProcess)) return original.apply(this, args)
    const options = (typeof args[0] === 'object' && args[0] !== null ? args[0] : {}) as SpawnOptions
    const description = describe(options)
    const handle: OperationHandle = startOperation({ kind: 'process', description, attributes: { command: description.replace(/ …$/, '') } })
    const result = applyTracked(original, this, args, handle)
    // 'close' comes after the exit and after stdio closed (what exec's callback waits for), and
    // also after a failed spawn (ENOENT); listening for 'error' instead would make an unhandled
    // spawn error silently handled.
    this.once('close', () => handle.end())
    return result
  }
}

/**
 * Patches `ChildProcess.prototype.spawn` once per process — every async child process goes
 * through it: `spawn`, `exec`, `execFile`, `fork`, their promisified forms — so that each child is
 * a `process` operation of the request that started it, until its `'close'`. The sync forms
 * block the event loop and are the blocked-loop report's business. Returns the function that
 * stops this install.
 */
export function instrumentChildProcess(): () => void {
  return sharedWrap(ChildProcess.prototype, 'spawn', spawn)
}
