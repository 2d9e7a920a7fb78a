import type { CallGraph, FunctionSummary } from './types.js'

/**
 * The functions with the most self or total time, over the whole profile (pruning aside).
 * V8's synthetic `(program)`/`(idle)`/`(garbage collector)` are listed only when the graph includes them.
 *
 * @example
 * ```ts
 * const [hottest] = topFunctions(graph, 'self', 10)
 * ```
 */
export function topFunctions(graph: CallGraph, by: 'self' | 'total', limit = 15): FunctionSummary[] {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`Expected \`limit\` to be a non-negative integer, got \`${String(limit)}\``)
  }
  const key = by === 'self' ? 'selfMs' : 'totalMs'
  return [...graph.functions]
    .filter((fn) => fn[key] > 0)
    .sort((a, b) => b[key] - a[key] || b.totalMs - a.totalMs)
    .slice(0, limit)
    .map((fn) => ({
      functionName: fn.functionName,
      location: fn.location,
      url: fn.url,
      lineNumber: fn.lineNumber,
      selfMs: fn.selfMs,
      totalMs: fn.totalMs,
      selfFraction: fn.selfFraction,
      totalFraction: fn.totalFraction,
    }))
}
