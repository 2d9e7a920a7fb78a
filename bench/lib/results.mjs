import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..')
export const resultsDir = join(benchDir, 'results')

/** Writes one scenario's result to bench/results/<name>.json and returns its path. */
export function writeResult(result) {
  mkdirSync(resultsDir, { recursive: true })
  const path = join(resultsDir, `${result.name}.json`)
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`)
  return path
}

/** Every scenario result in bench/results, sorted by name. */
export function readResults(dir = resultsDir) {
  let files
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json'))
  } catch {
    return []
  }
  return files
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')))
}
