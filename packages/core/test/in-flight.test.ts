import { describe, expect, it } from 'vitest'
import { InFlightList } from '../src/in-flight.js'
import { RequestContext } from '../src/index.js'

const names = (list: InFlightList<RequestContext>) => [...list].map((context) => context.name)

describe('the in-flight list', () => {
  it('lists members oldest first, removes from the start, middle and end, and counts them', () => {
    const list = new InFlightList<RequestContext>()
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new RequestContext({ name })) as [RequestContext, RequestContext, RequestContext, RequestContext]
    for (const context of [a, b, c, d]) list.add(context)
    expect(names(list)).toEqual(['a', 'b', 'c', 'd'])
    expect(list.size).toBe(4)
    expect(list.delete(b)).toBe(true)
    expect(names(list)).toEqual(['a', 'c', 'd'])
    expect(list.delete(a)).toBe(true)
    expect(list.delete(d)).toBe(true)
    expect(names(list)).toEqual(['c'])
    expect(list.size).toBe(1)
    list.add(a)
    expect(names(list)).toEqual(['c', 'a'])
  })

  it('ignores a second add and the removal of a non-member, also one of another list', () => {
    const list = new InFlightList<RequestContext>()
    const other = new InFlightList<RequestContext>()
    const a = new RequestContext({ name: 'a' })
    const b = new RequestContext({ name: 'b' })
    list.add(a).add(a)
    other.add(b)
    expect(list.size).toBe(1)
    expect(list.delete(b)).toBe(false)
    expect(list.has(b)).toBe(false)
    expect(other.has(b)).toBe(true)
    expect(names(other)).toEqual(['b'])
    expect(list.delete(a)).toBe(true)
    expect(list.delete(a)).toBe(false)
    expect(list.size).toBe(0)
    expect(names(list)).toEqual([])
  })

  it('keeps iterating when the member just listed is removed meanwhile, as a Set does', () => {
    const list = new InFlightList<RequestContext>()
    const contexts = ['a', 'b', 'c'].map((name) => new RequestContext({ name }))
    for (const context of contexts) list.add(context)
    const seen: (string | undefined)[] = []
    for (const context of list) {
      seen.push(context.name)
      list.delete(context)
    }
    expect(seen).toEqual(['a', 'b', 'c'])
    expect(list.size).toBe(0)
  })
})
