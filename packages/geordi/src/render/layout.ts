import { callGraphToDot } from './dot.js'
import { planGraphPages } from './graph-pages.js'
import { renderSvg } from './svg.js'
import { svgSize } from './svg-size.js'
import type { CallGraph, DotOptions } from './types.js'

/** A laid-out call graph: the SVG, the DOT it came from and the direction chosen. */
export interface CallGraphLayout {
  svg: string
  dot: string
  rankdir: 'TB' | 'LR'
}

function pagesNeeded(svg: string): { tiles: number; scale: number } {
  const size = svgSize(svg)
  if (!size) return { tiles: Number.POSITIVE_INFINITY, scale: 0 }
  const plan = planGraphPages(size)
  return { tiles: plan.tiles.length, scale: plan.scale }
}

/**
 * Lays the call graph out top-down (gprof2dot's way, best for deep stacks) and, when that
 * does not fit one page at full size, also left-to-right (best for wide fan-outs: boxes
 * stack by their height instead of their width), keeping whichever needs fewer pages,
 * then the larger scale. A `rankdir` in `options` skips the choice.
 *
 * @throws RenderError (`ERR_INTRO_GEORDI_LAYOUT`) when Graphviz fails.
 * @example
 * ```ts
 * const { svg } = await layoutCallGraph(buildCallGraph(profile), { title: 'GET /users' })
 * ```
 */
export async function layoutCallGraph(graph: CallGraph, options: DotOptions = {}): Promise<CallGraphLayout> {
  const topDown = callGraphToDot(graph, { ...options, rankdir: options.rankdir ?? 'TB' })
  const first: CallGraphLayout = { svg: await renderSvg(topDown), dot: topDown, rankdir: options.rankdir ?? 'TB' }
  if (options.rankdir) return first
  const firstPages = pagesNeeded(first.svg)
  if (firstPages.tiles === 1 && firstPages.scale === 1) return first
  const leftRight = callGraphToDot(graph, { ...options, rankdir: 'LR' })
  const second: CallGraphLayout = { svg: await renderSvg(leftRight), dot: leftRight, rankdir: 'LR' }
  const secondPages = pagesNeeded(second.svg)
  const better =
    secondPages.tiles < firstPages.tiles || (secondPages.tiles === firstPages.tiles && secondPages.scale > firstPages.scale)
  return better ? second : first
}
