import { machineInfo } from './machine.mjs'
import { median, round } from './stats.mjs'
import { writeResult } from './results.mjs'

// 'cpu' counts this process's CPU time (user + system, all its threads) instead of wall time:
// on a machine shared with other work, time spent descheduled is not the code's cost.
const clocks = {
  wall: () => Number(process.hrtime.bigint()),
  cpu: () => {
    const { user, system } = process.cpuUsage()
    return (user + system) * 1000
  },
}

async function timeArm(fn, iterations, clock = clocks.wall) {
  const start = clock()
  for (let i = 0; i < iterations; i++) {
    const value = fn()
    if (value !== undefined && typeof value.then === 'function') await value
  }
  return (clock() - start) / iterations
}

/**
 * Nanoseconds per call of small functions ("arms"), in this process.
 * One untimed warm-up pass per arm, then `rounds` timed passes alternating the
 * arms. The first arm is the baseline: `ratio` is an arm's median ns/op over the baseline's
 * (so above 1 means slower), `overheadNs` the difference.
 *
 * @param {{ name: string, title?: string, description?: string,
 *   arms: { name: string, fn: () => unknown }[], iterations: number, rounds: number,
 *   clock?: 'wall' | 'cpu' }} options
 */
export async function runMicroScenario(options) {
  const { name, arms, iterations, rounds } = options
  const clock = clocks[options.clock ?? 'wall']
  if (clock === undefined) throw new TypeError(`Expected \`clock\` to be 'wall' or 'cpu', got \`${options.clock}\``)
  if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) throw new TypeError(`Expected \`name\` to be kebab-case, got \`${name}\``)
  if (!Array.isArray(arms) || arms.length < 1) throw new TypeError('Expected `arms` to be a non-empty array')
  for (const [key, value] of Object.entries({ iterations, rounds })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`${key}\` to be a positive integer, got \`${value}\``)
  }
  const samples = arms.map(() => [])
  const failures = arms.map(() => undefined)
  for (const [index, arm] of arms.entries()) {
    try {
      await timeArm(arm.fn, Math.min(iterations, 10_000))
    } catch (error) {
      failures[index] = error instanceof Error ? error.message : String(error)
      console.error(`[${name}] arm "${arm.name}" failed: ${failures[index]}`)
    }
  }
  for (let round = 1; round <= rounds; round++) {
    for (const [index, arm] of arms.entries()) {
      if (failures[index] === undefined) samples[index].push(await timeArm(arm.fn, iterations, clock))
    }
  }
  const baseline = samples[0].length > 0 ? median(samples[0]) : undefined
  const result = {
    name,
    kind: 'micro',
    title: options.title ?? name,
    description: options.description,
    date: new Date().toISOString(),
    machine: machineInfo(),
    params: { iterations, rounds, clock: options.clock ?? 'wall' },
    unit: options.clock === 'cpu' ? 'CPU ns/op' : 'ns/op',
    target: options.target,
    arms: arms.map((arm, index) => {
      const value = samples[index].length > 0 ? median(samples[index]) : undefined
      return {
        name: arm.name,
        error: failures[index],
        median: value === undefined ? undefined : round(value, 1),
        ratio: value === undefined || baseline === undefined ? undefined : round(value / baseline, 4),
        overheadNs: value === undefined || baseline === undefined ? undefined : round(value - baseline, 1),
        samples: samples[index].map((sample) => round(sample, 1)),
      }
    }),
  }
  writeResult(result)
  return result
}
