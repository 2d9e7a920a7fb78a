import type { CallGraphOptions } from './types.js'

/** Defaults of {@link CallGraphOptions}; the thresholds are gprof2dot's. */
export const defaultCallGraphOptions: Readonly<Required<CallGraphOptions>> = Object.freeze({
  maxNodes: 80,
  nodeThreshold: 0.005,
  edgeThreshold: 0.001,
  includeProgram: false,
  includeIdle: false,
  includeGarbageCollector: true,
})

function fraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`Expected \`${name}\` to be a fraction between 0 and 1, got \`${String(value)}\``)
  }
  return value
}

function flag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got \`${String(value)}\``)
  return value
}

/** Fills in defaults and rejects out-of-range values with a RangeError/TypeError naming the option. */
export function resolveCallGraphOptions(options: CallGraphOptions = {}): Required<CallGraphOptions> {
  const merged = { ...defaultCallGraphOptions, ...stripUndefined(options) }
  if (!Number.isInteger(merged.maxNodes) || merged.maxNodes < 1) {
    throw new RangeError(`Expected \`maxNodes\` to be a positive integer, got \`${String(merged.maxNodes)}\``)
  }
  return {
    maxNodes: merged.maxNodes,
    nodeThreshold: fraction('nodeThreshold', merged.nodeThreshold),
    edgeThreshold: fraction('edgeThreshold', merged.edgeThreshold),
    includeProgram: flag('includeProgram', merged.includeProgram),
    includeIdle: flag('includeIdle', merged.includeIdle),
    includeGarbageCollector: flag('includeGarbageCollector', merged.includeGarbageCollector),
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>
}
