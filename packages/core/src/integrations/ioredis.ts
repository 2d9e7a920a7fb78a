import { type OperationHandle, startOperation } from '../operations.js'
import { describeValue, invalidOption } from '../options.js'
import { type AnyFunction, applyTracked } from './patch.js'
import { recording, sharedWrap } from './state.js'

interface IoredisModule {
  prototype?: { sendCommand?: unknown }
  Redis?: { prototype: object }
  Pipeline?: { prototype: object }
}

interface RedisCommand {
  name?: unknown
  args?: unknown[]
  promise?: Promise<unknown>
}

// Commands already recorded: ioredis sends a command again from its offline queue once
// connected (in the connection's context, not the request's), and the commands of a pipeline
// are recorded once, as the pipeline.
const seen = new WeakSet<object>()

/** True for something shaped like the `ioredis` module. */
export function isIoredisModule(value: unknown): boolean {
  const module = value as IoredisModule | undefined
  return typeof (module?.Redis?.prototype as { sendCommand?: unknown } | undefined)?.sendCommand === 'function'
}

// A key names what is waited on (`BLPOP jobs:mail`); values may be secrets, so only the first
// argument is shown, and only for commands whose first argument is a key or a channel.
function describe(command: RedisCommand): string {
  const name = String(command.name ?? 'command').toUpperCase()
  const first = command.args?.[0]
  const rest = (command.args?.length ?? 0) > 1 ? ' …' : ''
  if (name === 'AUTH' || name === 'HELLO' || first === undefined) return name
  const key = typeof first === 'string' || typeof first === 'number' ? String(first) : Buffer.isBuffer(first) ? first.toString('utf8') : '?'
  return `${name} ${key.length > 100 ? `${key.slice(0, 100)}…` : key}${rest}`
}

function endWith(promise: Promise<unknown> | undefined, handle: OperationHandle): void {
  if (!(promise instanceof Promise)) {
    handle.end()
    return
  }
  promise.then(
    () => handle.end(),
    (error: unknown) => handle.end(error),
  )
}

function sendCommand(original: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    const command = args[0] as RedisCommand | undefined
    if (!recording('ioredis') || typeof command !== 'object' || command === null || seen.has(command)) return original.apply(this, args)
    seen.add(command)
    const handle = startOperation({ kind: 'redis', description: describe(command), attributes: { db: 'redis', command: String(command.name ?? '') } })
    const result = applyTracked(original, this, args, handle)
    endWith(command.promise, handle)
    return result
  }
}

function pipelineExec(original: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    const queue = (this as { _queue?: RedisCommand[] })._queue
    if (!recording('ioredis') || !Array.isArray(queue)) return original.apply(this, args)
    for (const command of queue) if (typeof command === 'object' && command !== null) seen.add(command)
    const names = queue.slice(0, 5).map((command) => String(command.name ?? '').toUpperCase())
    const more = queue.length > 5 ? ', …' : ''
    const handle = startOperation({
      kind: 'redis',
      description: `pipeline of ${queue.length} (${names.join(', ')}${more})`,
      attributes: { db: 'redis', command: 'pipeline' },
    })
    const result = applyTracked(original, this, args, handle)
    endWith(result as Promise<unknown> | undefined, handle)
    return result
  }
}

/**
 * Patches ioredis (`Redis#sendCommand`, which every command goes through, blocking ones such as
 * BLPOP included, and `Pipeline#exec` / `multi().exec()`) once per process: each command is a
 * `redis` operation of the request until its reply. Returns the function that stops this install.
 */
export function instrumentIoredis(ioredis: unknown): () => void {
  if (!isIoredisModule(ioredis)) throw invalidOption(TypeError, `Expected \`ioredis\` to be the ioredis module (with Redis), got ${describeValue(ioredis)}`)
  const module = ioredis as IoredisModule
  const stops = [sharedWrap((module.Redis as { prototype: object }).prototype, 'sendCommand', sendCommand)]
  const pipeline = module.Pipeline?.prototype
  if (pipeline !== undefined) stops.push(sharedWrap(pipeline, 'exec', pipelineExec))
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}
