import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { machineInfo } from './machine.mjs'
import { median, round } from './stats.mjs'
import { writeResult } from './results.mjs'

const execFileAsync = promisify(execFile)
const loadScript = fileURLToPath(new URL('./load.mjs', import.meta.url))

async function load(url, { connections, durationSec, pipelining }) {
  const { stdout } = await execFileAsync(
    process.execPath,
    [loadScript, url, String(connections), String(durationSec), String(pipelining)],
    { timeout: (durationSec + 30) * 1000 },
  )
  return JSON.parse(stdout)
}

/**
 * Arm over baseline within each round: the two ran seconds apart, so the ratio
 * cancels most of the drift of a shared machine that a ratio of medians keeps.
 */
function roundRatios(arm, baseline) {
  return arm.map((value, index) => value / baseline[index])
}

function spread(values) {
  return [round(Math.min(...values), 3), round(Math.max(...values), 3)]
}

function validate(options) {
  const { name, arms, durationSec, rounds, connections } = options
  if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) throw new TypeError(`Expected \`name\` to be kebab-case, got \`${name}\``)
  if (!Array.isArray(arms) || arms.length < 1) throw new TypeError('Expected `arms` to be a non-empty array')
  for (const [key, value] of Object.entries({ durationSec, rounds, connections })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`${key}\` to be a positive integer, got \`${value}\``)
  }
}

/**
 * Throughput of HTTP servers ("arms") under autocannon on 127.0.0.1.
 * Every arm is started once and stays up; rounds alternate the arms (A B A B ...)
 * so that drift of a noisy machine hits all of them alike. Each arm gets a short
 * warm-up first (JIT, connection setup) that is not counted.
 * The first arm is the baseline: `ratio` is the median over rounds of the arm's
 * req/s divided by the baseline's in the same round.
 *
 * @param {{ name: string, title?: string, description?: string,
 *   arms: { name: string, start: () => Promise<{ url: string, close: () => Promise<void> | void }> }[],
 *   durationSec: number, rounds: number, connections: number, pipelining?: number, warmupSec?: number,
 *   target?: { arm: string, minRatio: number, label: string },
 *   targets?: ({ arm: string, minRatio: number, metric?: 'cpu', label: string }
 *     | { arm: string, baseline: string, maxExtraUs: number, label: string })[] }} options
 * `targets` lists several targets; one with `baseline` and `maxExtraUs` bounds the arm's server CPU
 * per request above another arm's (median over rounds of the difference within a round).
 */
export async function runHttpScenario(options) {
  // BENCH_ROUNDS / BENCH_DURATION_SEC shorten a run to check that a scenario works at all.
  options = {
    ...options,
    rounds: Number(process.env.BENCH_ROUNDS) || options.rounds,
    durationSec: Number(process.env.BENCH_DURATION_SEC) || options.durationSec,
  }
  validate(options)
  const { name, arms, durationSec, rounds, connections, pipelining = 1, warmupSec = 1 } = options
  const started = []
  const samples = arms.map(() => [])
  const latencies = arms.map(() => [])
  // Server CPU per request, for arms that can report their process's CPU time (forked arms):
  // unlike req/s it leaves out the load generator, which shares the machine's cores.
  const cpuPerRequest = arms.map(() => [])
  const failures = arms.map(() => undefined)
  try {
    for (const [index, arm] of arms.entries()) {
      try {
        started[index] = await arm.start()
        await load(started[index].url, { connections, durationSec: warmupSec, pipelining })
      } catch (error) {
        failures[index] = error instanceof Error ? error.message : String(error)
        console.error(`[${name}] arm "${arm.name}" failed to start: ${failures[index]}`)
      }
    }
    for (let round = 0; round < rounds; round++) {
      // Rotate which arm goes first so that none always runs right after another's load.
      for (let step = 0; step < arms.length; step++) {
        const index = (round + step) % arms.length
        if (failures[index] !== undefined) continue
        const cpuBefore = await started[index].cpuMicros?.()
        const result = await load(started[index].url, { connections, durationSec, pipelining })
        if (cpuBefore !== undefined && result.total > 0) {
          cpuPerRequest[index][round] = ((await started[index].cpuMicros()) - cpuBefore) / result.total
        }
        if (result.errors > 0 || result.non2xx > 0) {
          failures[index] = `${result.errors} errors, ${result.non2xx} non-2xx responses`
          continue
        }
        samples[index][round] = result.requestsPerSec
        latencies[index].push(result.latencyMeanMs)
        console.error(`[${name}] round ${round + 1}/${rounds} ${arms[index].name}: ${Math.round(result.requestsPerSec)} req/s`)
      }
    }
  } finally {
    await Promise.all(started.map((server) => server?.close()))
  }
  const result = {
    name,
    kind: 'http',
    title: options.title ?? name,
    description: options.description,
    date: new Date().toISOString(),
    machine: machineInfo(),
    params: { durationSec, rounds, connections, pipelining, warmupSec },
    unit: 'req/s',
    target: options.target,
    targets: options.targets,
    arms: arms.map((arm, index) => {
      const measured = failures[index] === undefined
      const comparable = measured && failures[0] === undefined
      return {
        name: arm.name,
        error: failures[index],
        median: measured ? round(median(samples[index]), 0) : undefined,
        ratio: comparable ? round(median(roundRatios(samples[index], samples[0])), 4) : undefined,
        ratioRange: comparable ? spread(roundRatios(samples[index], samples[0])) : undefined,
        latencyMeanMs: measured ? round(median(latencies[index]), 3) : undefined,
        cpuUsPerRequest: measured && cpuPerRequest[index].length > 0 ? round(median(cpuPerRequest[index]), 2) : undefined,
        cpuRatio:
          comparable && cpuPerRequest[0].length > 0 && cpuPerRequest[index].length > 0
            ? round(median(roundRatios(cpuPerRequest[index], cpuPerRequest[0])), 4)
            : undefined,
        samples: samples[index].map((sample) => round(sample, 0)),
        cpuSamples: cpuPerRequest[index].map((sample) => round(sample, 3)),
      }
    }),
  }
  writeResult(result)
  return result
}
