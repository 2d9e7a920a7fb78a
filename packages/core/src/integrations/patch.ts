/**
 * The one way the toolkit patches a library method. The original hangs off the wrapper under a
 * registered symbol, so every installed copy of the toolkit sees that a method is wrapped
 * already and never wraps it twice (which would record each call twice); unwrapping restores
 * the original only while the wrapper is still in place, so a wrapper added later by someone
 * else is never dropped.
 */

const ORIGINAL = Symbol.for('intro.core.wrapped.original')

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Wrapped = AnyFunction & { [ORIGINAL]?: AnyFunction }

/** True when `fn` is a wrapper installed by {@link wrapMethod} (in this or another copy). */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && typeof (fn as Wrapped)[ORIGINAL] === 'function'
}

/**
 * Replaces `owner[name]` with `make(original)`; returns false (and changes nothing) when the
 * method is missing or wrapped already.
 */
export function wrapMethod(owner: object, name: string, make: (original: AnyFunction) => AnyFunction): boolean {
  const target = owner as Record<string, unknown>
  const original = target[name]
  if (typeof original !== 'function' || isWrapped(original)) return false
  const wrapper = make(original as AnyFunction) as Wrapped
  Object.defineProperty(wrapper, ORIGINAL, { value: original, enumerable: false, configurable: true })
  const own = Object.getOwnPropertyDescriptor(owner, name)
  Object.defineProperty(owner, name, { value: wrapper, writable: true, configurable: true, enumerable: own?.enumerable ?? true })
  return true
}

/** Puts the original back if `owner[name]` is still a wrapper of {@link wrapMethod}. */
export function unwrapMethod(owner: object, name: string): void {
  const target = owner as Record<string, unknown>
  const current = target[name] as Wrapped | undefined
  if (!isWrapped(current)) return
  target[name] = (current as Wrapped)[ORIGINAL]
}

/**
 * Calls a patched method's original for a call recorded as `handle`: a synchronous throw ends
 * the operation with its error before it reaches the caller, so no operation is left open.
 */
export function applyTracked(original: AnyFunction, self: unknown, args: unknown[], handle: { end(error?: unknown): void }): unknown {
  try {
    return original.apply(self, args)
  } catch (error) {
    handle.end(error)
    throw error
  }
}
