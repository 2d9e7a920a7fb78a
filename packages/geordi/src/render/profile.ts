import { readFile } from 'node:fs/promises'
import { InvalidProfileError } from './errors.js'
import type { CpuProfile, CpuProfileNode } from './types.js'

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

const isNumberArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'number')

function checkNode(node: unknown, index: number): asserts node is CpuProfileNode {
  if (!isRecord(node) || typeof node.id !== 'number' || !isRecord(node.callFrame)) {
    throw new InvalidProfileError(`nodes[${index}] has no numeric id and callFrame object`)
  }
  const frame = node.callFrame
  if (typeof frame.functionName !== 'string' || typeof frame.url !== 'string') {
    throw new InvalidProfileError(`nodes[${index}].callFrame has no functionName and url strings`)
  }
  if (node.children !== undefined && !isNumberArray(node.children)) {
    throw new InvalidProfileError(`nodes[${index}].children is not an array of ids`)
  }
}

/**
 * Checks that a parsed value has the shape of a V8 `.cpuprofile` and returns it typed.
 *
 * @throws InvalidProfileError when it does not.
 * @example
 * ```ts
 * const profile = parseCpuProfile(JSON.parse(text))
 * ```
 */
export function parseCpuProfile(value: unknown): CpuProfile {
  if (!isRecord(value)) throw new InvalidProfileError('a .cpuprofile is a JSON object')
  const { nodes, startTime, endTime, samples, timeDeltas } = value
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new InvalidProfileError('a .cpuprofile has a non-empty `nodes` array')
  }
  if (typeof startTime !== 'number' || typeof endTime !== 'number' || endTime < startTime) {
    throw new InvalidProfileError('a .cpuprofile has numeric `startTime` <= `endTime`')
  }
  nodes.forEach(checkNode)
  if (samples !== undefined || timeDeltas !== undefined) {
    if (!isNumberArray(samples) || !isNumberArray(timeDeltas) || samples.length !== timeDeltas.length) {
      throw new InvalidProfileError('`samples` and `timeDeltas` are number arrays of the same length')
    }
  }
  return value as unknown as CpuProfile
}

/**
 * Reads and checks a `.cpuprofile` file (from `node --cpu-prof`, DevTools or the inspector).
 *
 * @throws InvalidProfileError when the file is missing, not JSON or not a profile.
 * @example
 * ```ts
 * const profile = await readCpuProfile('CPU.20250101.120000.123.0.001.cpuprofile')
 * ```
 */
export async function readCpuProfile(path: string): Promise<CpuProfile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InvalidProfileError(`cannot read ${path}${code ? ` (${code})` : ''}`, error)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InvalidProfileError(`${path} is not JSON`, error)
  }
  return parseCpuProfile(value)
}
