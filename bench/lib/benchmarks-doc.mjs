import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { benchDir, readResults } from './results.mjs'

export const docPath = join(benchDir, '..', 'docs', 'benchmarks.md')

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })

function percent(ratio) {
  return ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`
}

function range(ratioRange) {
  return ratioRange === undefined ? '—' : `${Math.round(ratioRange[0] * 100)}–${Math.round(ratioRange[1] * 100)} %`
}

/** Throughput a CPU-bound server keeps: baseline CPU per request over the arm's. */
function cpuThroughput(arm) {
  return arm.cpuRatio === undefined ? undefined : 1 / arm.cpuRatio
}

/** Median over rounds of arm CPU per request minus baseline CPU per request in the same round. */
function extraCpuUs(arm, baseline) {
  const diffs = (arm.cpuSamples ?? [])
    .map((value, round) => (value === null || baseline.cpuSamples?.[round] == null ? undefined : value - baseline.cpuSamples[round]))
    .filter((value) => value !== undefined)
    .sort((a, b) => a - b)
  if (diffs.length === 0) return undefined
  const middle = Math.floor(diffs.length / 2)
  return diffs.length % 2 === 1 ? diffs[middle] : (diffs[middle - 1] + diffs[middle]) / 2
}

function extraTargetLine(result, target) {
  const arm = result.arms.find((candidate) => candidate.name === target.arm)
  const baseline = result.arms.find((candidate) => candidate.name === target.baseline)
  const extra = arm && baseline ? extraCpuUs(arm, baseline) : undefined
  if (extra === undefined) return `Target: ${target.label} — **not measured** (${arm?.error ?? baseline?.error ?? 'arm missing'}).`
  const met = extra <= target.maxExtraUs
  return `Target: ${target.label} — ${met ? 'met' : '**not met**'} (${extra >= 0 ? '+' : ''}${extra.toFixed(2)} µs CPU per request over ${target.baseline}).`
}

function targetLines(result) {
  return [...(result.target ? [result.target] : []), ...(result.targets ?? [])].map((target) =>
    target.maxExtraUs === undefined ? targetLine(result, target) : extraTargetLine(result, target),
  )
}

function targetLine(result, target) {
  const arm = result.arms.find((candidate) => candidate.name === target.arm)
  const byCpu = target.metric === 'cpu'
  const ratio = byCpu ? cpuThroughput(arm ?? {}) : arm?.ratio
  if (ratio === undefined) return `Target: ${target.label} — **not measured** (${arm?.error ?? 'arm missing'}).`
  const met =
    (target.minRatio === undefined || ratio >= target.minRatio) && (target.maxRatio === undefined || ratio <= target.maxRatio)
  const measured = byCpu ? 'CPU-bound throughput' : 'of baseline req/s'
  return `Target: ${target.label} — ${met ? 'met' : '**not met**'} (${percent(ratio)} ${measured}).`
}

function httpTable(result) {
  const withCpu = result.arms.some((arm) => arm.cpuUsPerRequest !== undefined)
  const rows = result.arms.map((arm) => {
    if (arm.median === undefined) return `| ${arm.name} | failed: ${arm.error ?? 'no sample'} | | | | |${withCpu ? ' | |' : ''}`
    const cpu = withCpu ? ` ${arm.cpuUsPerRequest ?? '—'} µs | ${percent(cpuThroughput(arm))} |` : ''
    return `| ${arm.name} |${cpu} ${integer.format(arm.median)} | ${percent(arm.ratio)} | ${range(arm.ratioRange)} | ${arm.latencyMeanMs ?? '—'} ms | ${arm.samples.map((s) => integer.format(s)).join(', ')} |`
  })
  const cpuHead = withCpu ? ' server CPU / request | CPU-bound throughput vs baseline |' : ''
  const cpuAlign = withCpu ? '---:|---:|' : ''
  return [
    `| arm |${cpuHead} req/s (median) | vs baseline | per-round range | mean latency | req/s per round |`,
    `|---|${cpuAlign}---:|---:|---:|---:|---|`,
    ...rows,
  ]
}

function ratioText(ratio) {
  if (ratio === undefined) return '—'
  if (ratio < 10) return `${ratio.toFixed(2)}×`
  if (ratio < 100) return `${ratio.toFixed(1)}×`
  return `${integer.format(ratio)}×`
}

/** Micro-benchmarks (ns/op) and any other per-sample scenario (`kind: 'latency'`, `unit: 'ms'`...). */
function sampleTable(result) {
  const unit = result.unit ?? 'ns/op'
  // Arms measured independently (each ratio 1) have no baseline to compare with.
  const compared = result.arms.some((arm) => arm.ratio !== undefined && arm.ratio !== 1)
  const rows = result.arms.map((arm) => {
    if (arm.median === undefined) return `| ${arm.name} | failed: ${arm.error ?? 'no sample'} |${compared ? ' | |' : ''} |`
    const samples = arm.samples.map((value) => decimal.format(value)).join(', ')
    if (!compared) return `| ${arm.name} | ${decimal.format(arm.median)} | ${samples} |`
    const overhead = arm.overheadNs ?? 0
    return `| ${arm.name} | ${decimal.format(arm.median)} | ${overhead >= 0 ? '+' : ''}${decimal.format(overhead)} | ${ratioText(arm.ratio)} | ${samples} |`
  })
  return compared
    ? [`| arm | ${unit} (median) | vs baseline | ratio | ${unit} per round |`, '|---|---:|---:|---:|---|', ...rows]
    : [`| arm | ${unit} (median) | ${unit} per round |`, '|---|---:|---|', ...rows]
}

function paramsText(result) {
  const p = result.params
  if (result.kind === 'http') {
    return `${p.rounds} rounds × ${p.durationSec} s per arm, ${p.connections} connections, pipelining ${p.pipelining}, ${p.warmupSec} s warm-up`
  }
  if (p?.iterations > 1) return `${p.rounds} rounds × ${integer.format(p.iterations)} iterations per arm`
  return p?.rounds === undefined ? 'see the description' : `${p.rounds} samples per arm`
}

function section(result) {
  const m = result.machine
  const lines = [`## ${result.title} (\`${result.name}\`)`, '']
  if (result.description) lines.push(result.description, '')
  lines.push(
    `Measured ${result.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}; ${paramsText(result)}.`,
    '',
    ...(result.kind === 'http' ? httpTable(result) : sampleTable(result)),
    '',
  )
  const targets = targetLines(result)
  if (targets.length > 0) lines.push(targets.join('\n\n'), '')
  return lines.join('\n')
}

/**
 * Regenerates docs/benchmarks.md from the scenario results in bench/results/*.json
 * (or `results` when given). Returns the path written.
 */
export function writeBenchmarksDoc(results = readResults(), path = docPath) {
  const body = [
    '<!-- Generated by bench/run.mjs from bench/results/*.json. Do not edit by hand: run `npm run bench`. -->',
    '# Benchmarks',
    '',
    'Each scenario compares arms side by side in one run: the first arm is the baseline (usually the',
    'same work without intro), and each other arm is reported as a ratio of it. Rounds alternate the',
    'arms (A B A B ..., the first arm rotating) so that a noisy machine drifts on all of them alike;',
    'the ratio is the median over rounds of arm / baseline within the same round. HTTP load comes from autocannon in a separate process on 127.0.0.1; it shares',
    'the CPU cores with the server, so absolute req/s are low and only ratios compare across machines.',
    'Where each arm runs in its own process, the table also gives the server\'s CPU time per request',
    '(user + system of the server process alone, median over rounds) and the throughput a CPU-bound',
    'server keeps (baseline CPU per request / arm CPU per request): the load generator\'s share of the',
    'cores does not enter those two columns.',
    '',
    'Run every scenario with `npm run bench`, or one with `pnpm --filter @intro/bench bench -- core`',
    '(a scenario is `bench/<name>/scenario.mjs`; each writes `bench/results/<name>.json`).',
    'The per-request scenarios (`requests`, `core`, `dogslow`, `stats`) and `cow` write one result per Node line',
    '(`<name>-node<major>`), so each line gets its own table: run them under each supported Node, e.g.',
    '`PATH=$(node packages/cow/scripts/node-lines.mjs bin 24):$PATH node bench/run.mjs requests core dogslow stats`.',
    'The machine these ran on is shared (2 cores, other builds and test suites running at the same time): absolute',
    'figures are inflated and noisy, and only ratios and differences within one run compare.',
    '',
    ...(results.length === 0 ? ['No results yet.', ''] : results.map(section)),
  ].join('\n')
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, body)
  return path
}
