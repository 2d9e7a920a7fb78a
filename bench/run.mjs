// Runs the benchmark scenarios (bench/<name>/scenario.mjs), each in its own
// process so that one scenario's instrumentation cannot leak into the next,
// then regenerates docs/benchmarks.md from bench/results/*.json.
//   node run.mjs            every scenario
//   node run.mjs core cow   the named ones
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { writeBenchmarksDoc } from './lib/benchmarks-doc.mjs'
import { benchDir } from './lib/results.mjs'

const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(benchDir, entry.name, 'scenario.mjs')))
  .map((entry) => entry.name)
  .sort()
const wanted = process.argv.slice(2).filter((arg) => arg !== '--')
const unknown = wanted.filter((name) => !available.includes(name))
if (unknown.length > 0) {
  console.error(`unknown scenario: ${unknown.join(', ')} (available: ${available.join(', ')})`)
  process.exit(2)
}

let failed = 0
for (const name of wanted.length > 0 ? wanted : available) {
  console.error(`› ${name}`)
  const started = Date.now()
  const run = spawnSync(process.execPath, [join(benchDir, name, 'scenario.mjs')], { stdio: 'inherit', cwd: benchDir })
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  if (run.status !== 0) {
    failed++
    console.error(`✗ ${name} failed (${run.signal ?? `exit ${run.status}`}) after ${seconds} s`)
  } else {
    console.error(`✓ ${name} in ${seconds} s`)
  }
}
console.error(`docs: ${writeBenchmarksDoc()}`)
process.exit(failed > 0 ? 1 : 0)
