// Links the registry keeps on each member (see InFlightList). RequestContext declares them, so
// joining and leaving the list never changes a context's shape.
export const PREVIOUS: unique symbol = Symbol('intro.core.inFlight.previous')
export const NEXT: unique symbol = Symbol('intro.core.inFlight.next')
export const MEMBER: unique symbol = Symbol('intro.core.inFlight.member')

interface Linked {
  [PREVIOUS]?: Linked | undefined
  [NEXT]?: Linked | undefined
  [MEMBER]?: InFlightList<Linked>
}

/** What the shared state's users call on its in-flight registry: a subset of `Set`. */
export interface InFlightRegistry<T> extends Iterable<T> {
  readonly size: number
  has(member: T): boolean
  add(member: T): unknown
  delete(member: T): boolean
}

/**
 * The requests being served, oldest first, as a doubly linked list threaded through the members
 * themselves. Every request is added and removed once: a `Set` paid ~150 ns for that pair (its
 * hash table rehashes as members come and go), the list ~30 ns. It has the `Set` methods the
 * shared state's users call (`add`, `delete`, `has`, `size`, iteration), so copies of core that
 * expect a `Set` there work with it unchanged.
 */
export class InFlightList<T extends object> implements InFlightRegistry<T> {
  #first: Linked | undefined
  #last: Linked | undefined
  #size = 0

  get size(): number {
    return this.#size
  }

  has(member: T): boolean {
    return (member as Linked)[MEMBER] === this
  }

  add(member: T): this {
    const linked = member as Linked
    if (linked[MEMBER] === this) return this
    linked[MEMBER] = this
    linked[PREVIOUS] = this.#last
    linked[NEXT] = undefined
    if (this.#last === undefined) this.#first = linked
    else this.#last[NEXT] = linked
    this.#last = linked
    this.#size++
    return this
  }

  delete(member: T): boolean {
    const linked = member as Linked
    if (linked[MEMBER] !== this) return false
    const previous = linked[PREVIOUS]
    const next = linked[NEXT]
    if (previous === undefined) this.#first = next
    else previous[NEXT] = next
    if (next === undefined) this.#last = previous
    else next[PREVIOUS] = previous
    linked[MEMBER] = undefined
    linked[PREVIOUS] = undefined
    linked[NEXT] = undefined
    this.#size--
    return true
  }

  *[Symbol.iterator](): IterableIterator<T> {
    // The next link is read before yielding: a member removed meanwhile ends nothing early.
    for (let at = this.#first; at !== undefined; ) {
      const next = at[NEXT]
      yield at as T
      at = next
    }
  }
}
