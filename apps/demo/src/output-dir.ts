import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (dist/ sits in apps/demo/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** Where a run writes by default: apps/demo/out/, gitignored. */
export const defaultOutDir = fileURLToPath(new URL('../out/', import.meta.url))

const MARKER = '.intro-demo-output'

/** The folders of one run. */
export interface OutputDirs {
  root: string
  database: string
  statsd: string
  dogslow: string
  geordi: string
  app: string
}

/**
 * Empties and recreates the output folder, so every run starts fresh. Only a folder this demo
 * created (it holds a marker file), an empty one or a missing one is cleared: `--out` pointed
 * at the wrong place must not delete anyone's files.
 */
export function prepareOutputDirs(dir: string): OutputDirs {
  const root = resolve(dir)
  if (existsSync(root)) {
    const entries = readdirSync(root)
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`refusing to clear ${root}: it is not empty and was not created by the demo`)
    }
    rmSync(root, { recursive: true, force: true })
  }
  const dirs: OutputDirs = {
    root,
    database: join(root, 'database'),
    statsd: join(root, 'statsd'),
    dogslow: join(root, 'dogslow'),
    geordi: join(root, 'geordi'),
    app: join(root, 'app'),
  }
  for (const path of Object.values(dirs)) mkdirSync(path, { recursive: true })
  writeFileSync(join(root, MARKER), 'Output of `npm run demo`; deleted and recreated by every run.\n')
  return dirs
}

/** A path as shown to the user: relative to the repository root when inside it. */
export function displayPath(path: string): string {
  const rel = relative(repoRoot, path)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel
}
