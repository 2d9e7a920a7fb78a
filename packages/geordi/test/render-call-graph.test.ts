import { randomUUID } from 'node:crypto'
import {
  type CpuProfile,
  InvalidProfileError,
  RenderError,
  RenderErrorCodes,
  buildCallGraph,
  callGraphToDot,
  heatColor,
  layoutCallGraph,
  parseCpuProfile,
  readCpuProfile,
  renderSvg,
  topFunctions,
} from '@intro/geordi/render'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOT_LOOP, MANY_FUNCTIONS, recordProfile, removeDir, scratchDir } from './fixtures/render/profiles.js'

const frame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: lineNumber < 0 ? -1 : 4,
  scriptId: '1',
})

// Every sample lasts 1 ms: main 1, fib 4 (2 in the outer call, 2 recursing), leaf 2,
// (program) 1, (idle) 1, (garbage collector) 1.
function handMadeProfile(): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 7, 8] },
      { id: 2, callFrame: frame('main', 'file:///srv/app/server.js', 0), children: [4, 5] },
      { id: 4, callFrame: frame('fib', 'file:///srv/app/math.js', 10), children: [6] },
      { id: 6, callFrame: frame('fib', 'file:///srv/app/math.js', 10) },
      { id: 5, callFrame: frame('leaf', 'file:///srv/app/node_modules/@acme/lib/dist/deep/util.js', 19) },
      { id: 3, callFrame: frame('(program)') },
      { id: 7, callFrame: frame('(idle)') },
      { id: 8, callFrame: frame('(garbage collector)') },
    ],
    startTime: 0,
    endTime: 11_000,
    samples: [2, 4, 6, 6, 5, 5, 3, 7, 8, 4],
    timeDeltas: Array.from({ length: 10 }, () => 1000),
  }
}

const byName = (graph: ReturnType<typeof buildCallGraph>, name: string) => {
  const node = graph.functions.find((fn) => fn.functionName === name)
  if (!node) throw new Error(`no function ${name}`)
  return node
}

let dir: string
let hotLoopProfile: string
let manyFunctionsProfile: string

beforeAll(async () => {
  dir = scratchDir('graph')
  const [hot, many] = await Promise.all([
    recordProfile(HOT_LOOP, scratchDirIn(dir, 'hot')),
    recordProfile(MANY_FUNCTIONS, scratchDirIn(dir, 'many')),
  ])
  hotLoopProfile = hot
  manyFunctionsProfile = many
})

afterAll(() => removeDir(dir))

const scratchDirIn = (parent: string, name: string) => `${parent}/${name}-${randomUUID()}`

describe('buildCallGraph', () => {
  it('attributes self and total time per function, counting recursion once', () => {
    const graph = buildCallGraph(handMadeProfile())
    expect(graph.totalMs).toBeCloseTo(8)
    expect(graph.idleMs).toBeCloseTo(1)
    expect(graph.sampleCount).toBe(10)
    expect(graph.durationMs).toBeCloseTo(11)
    const main = byName(graph, 'main')
    const fib = byName(graph, 'fib')
    expect(main.selfMs).toBeCloseTo(1)
    expect(main.totalMs).toBeCloseTo(7)
    expect(fib.selfMs).toBeCloseTo(4)
    expect(fib.totalMs).toBeCloseTo(4)
    expect(fib.totalFraction).toBeCloseTo(0.5)
    expect(fib.lineNumber).toBe(11)
    expect(fib.location).toBe('app/math.js:11')
    expect(byName(graph, 'leaf').location).toBe('@acme/lib/…/deep/util.js:20')
  })

  it('weights each call with the time spent in the callee from that caller', () => {
    const graph = buildCallGraph(handMadeProfile())
    const id = (name: string) => byName(graph, name).id
    const edge = (from: string, to: string) => graph.edges.find((e) => e.from === id(from) && e.to === id(to))
    expect(edge('main', 'fib')?.timeMs).toBeCloseTo(4)
    expect(edge('main', 'leaf')?.timeMs).toBeCloseTo(2)
    expect(edge('fib', 'fib')).toBeUndefined()
  })

  it('leaves out (program) and (idle) by default and keeps them on request', () => {
    const byDefault = buildCallGraph(handMadeProfile())
    expect(byDefault.functions.map((fn) => fn.kind)).not.toContain('idle')
    expect(byDefault.functions.map((fn) => fn.kind)).not.toContain('program')
    expect(byDefault.functions.map((fn) => fn.kind)).toContain('garbage-collector')
    const everything = buildCallGraph(handMadeProfile(), { includeIdle: true, includeProgram: true })
    expect(everything.totalMs).toBeCloseTo(10)
    const withoutGc = buildCallGraph(handMadeProfile(), { includeGarbageCollector: false })
    expect(withoutGc.totalMs).toBeCloseTo(7)
  })

  it('prunes functions and calls under the thresholds and beyond maxNodes', () => {
    const graph = buildCallGraph(handMadeProfile(), { nodeThreshold: 0.2, edgeThreshold: 0.3 })
    expect(graph.nodes.map((fn) => fn.functionName)).toEqual(['main', 'fib', 'leaf'])
    expect(graph.pruned.nodes).toBe(1)
    expect(graph.edges).toHaveLength(1)
    expect(graph.functions).toHaveLength(4)
    const top = buildCallGraph(handMadeProfile(), { maxNodes: 1 })
    expect(top.nodes.map((fn) => fn.functionName)).toEqual(['main'])
    expect(top.edges).toEqual([])
  })

  it('keeps a pass-through caller before its callee when their totals tie', () => {
    const profile = handMadeProfile()
    profile.samples = [4, 4, 6]
    profile.timeDeltas = [1000, 1000, 1000]
    profile.endTime = 4000
    const graph = buildCallGraph(profile, { maxNodes: 1 })
    expect(graph.nodes.map((fn) => fn.functionName)).toEqual(['main'])
  })

  it('spreads the duration over hit counts when the profile has no samples', () => {
    const { samples: _samples, timeDeltas: _deltas, ...rest } = handMadeProfile()
    const nodes = rest.nodes.map((node) => ({ ...node, hitCount: node.id === 4 ? 3 : node.id === 2 ? 1 : 0 }))
    const graph = buildCallGraph({ ...rest, nodes })
    expect(byName(graph, 'fib').selfMs).toBeCloseTo(8.25)
    expect(byName(graph, 'main').totalMs).toBeCloseTo(11)
  })

  it('finds the hot function of a real node --cpu-prof profile', async () => {
    const graph = buildCallGraph(await readCpuProfile(hotLoopProfile))
    const [hottest] = topFunctions(graph, 'self', 3)
    expect(hottest?.functionName).toBe('xyzzyHotChecksum')
    expect(hottest?.location).toMatch(/hot-loop\.mjs:3$/)
    expect(hottest!.selfFraction).toBeGreaterThan(0.3)
    for (const fn of graph.functions) expect(fn.selfMs).toBeLessThanOrEqual(fn.totalMs + 1e-9)
    const selfSum = graph.functions.reduce((sum, fn) => sum + fn.selfMs, 0)
    expect(selfSum).toBeCloseTo(graph.totalMs, 3)
  })

  it('keeps a 300-function profile to maxNodes, the hottest first', async () => {
    const graph = buildCallGraph(await readCpuProfile(manyFunctionsProfile))
    expect(graph.functions.length).toBeGreaterThan(200)
    expect(graph.nodes.length).toBeLessThanOrEqual(80)
    expect(graph.nodes.map((fn) => fn.functionName)).toContain('quuxHeavyHelper')
    const totals = graph.nodes.map((fn) => fn.totalMs)
    expect(totals).toEqual([...totals].sort((a, b) => b - a))
    const kept = new Set(graph.nodes.map((fn) => fn.id))
    for (const edge of graph.edges) expect(kept.has(edge.from) && kept.has(edge.to)).toBe(true)
    expect(buildCallGraph(await readCpuProfile(manyFunctionsProfile), { maxNodes: 20 }).nodes).toHaveLength(20)
  })

  it('rejects out-of-range options with RangeError', () => {
    expect(() => buildCallGraph(handMadeProfile(), { maxNodes: 0 })).toThrow(RangeError)
    expect(() => buildCallGraph(handMadeProfile(), { nodeThreshold: 2 })).toThrow(RangeError)
    expect(() => buildCallGraph(handMadeProfile(), { edgeThreshold: -1 })).toThrow(RangeError)
    expect(() => buildCallGraph(handMadeProfile(), { includeIdle: 'yes' as never })).toThrow(TypeError)
  })

  it('rejects something that is not a profile with InvalidProfileError', () => {
    for (const bad of [null, {}, { nodes: [], startTime: 0, endTime: 1 }, { nodes: [{ id: 1 }], startTime: 0, endTime: 1 }]) {
      const attempt = () => buildCallGraph(bad as never)
      expect(attempt).toThrow(InvalidProfileError)
      try {
        attempt()
      } catch (error) {
        expect((error as InvalidProfileError).code).toBe(RenderErrorCodes.invalidProfile)
      }
    }
  })
})

describe('parseCpuProfile and readCpuProfile', () => {
  it('accepts a profile and rejects mismatched samples', () => {
    expect(parseCpuProfile(handMadeProfile()).nodes).toHaveLength(8)
    expect(() => parseCpuProfile({ ...handMadeProfile(), timeDeltas: [1] })).toThrow(InvalidProfileError)
  })

  it('reports a missing file as InvalidProfileError', async () => {
    await expect(readCpuProfile(`${dir}/missing-${randomUUID()}.cpuprofile`)).rejects.toMatchObject({
      code: RenderErrorCodes.invalidProfile,
    })
  })
})

describe('callGraphToDot', () => {
  it('labels boxes `function (file:line)` with shares and colours them by heat', () => {
    const dot = callGraphToDot(buildCallGraph(handMadeProfile()), { title: 'GET /fib' })
    expect(dot).toContain('fib (app/math.js:11)')
    expect(dot).toContain('total 50.0% (4.00 ms), self 50.0%')
    expect(dot).toContain('label="GET /fib"')
    expect(dot).toContain(`fillcolor="${heatColor(7 / 8)}"`)
  })

  it('escapes quotes and backslashes in names', () => {
    const profile = handMadeProfile()
    profile.nodes[1]!.callFrame.functionName = 'we"ird\\name'
    expect(callGraphToDot(buildCallGraph(profile))).toContain('we\\"ird\\\\name')
  })

  it('rejects a bad fontSize with RangeError', () => {
    expect(() => callGraphToDot(buildCallGraph(handMadeProfile()), { fontSize: 0 })).toThrow(RangeError)
  })
})

describe('heatColor', () => {
  it('goes from dark blue when cold to red when hot', () => {
    expect(heatColor(1)).toBe('#ff0000')
    const cold = heatColor(0)
    expect(Number.parseInt(cold.slice(5, 7), 16)).toBeGreaterThan(Number.parseInt(cold.slice(1, 3), 16))
  })
})

describe('renderSvg', () => {
  it('lays a call graph out as SVG without a system dot binary', async () => {
    const svg = await renderSvg(callGraphToDot(buildCallGraph(handMadeProfile())))
    expect(svg).toContain('<svg')
    expect(svg).toContain('fib (app/math.js:11)')
  })

  it('rejects invalid DOT with RenderError', async () => {
    const failure = await renderSvg('digraph { a -> }').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(RenderError)
    expect((failure as RenderError).code).toBe(RenderErrorCodes.layout)
  })
})

describe('layoutCallGraph', () => {
  it('lays a wide fan-out left to right when that needs fewer pages', async () => {
    const graph = buildCallGraph(await readCpuProfile(manyFunctionsProfile))
    const layout = await layoutCallGraph(graph)
    expect(layout.rankdir).toBe('LR')
    expect(layout.svg).toContain('quuxHeavyHelper')
  })

  it('keeps the top-down layout when the graph fits a page', async () => {
    const layout = await layoutCallGraph(buildCallGraph(handMadeProfile()))
    expect(layout.rankdir).toBe('TB')
  })
})
