import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

// The worker tests start real worker processes, which run the package's built output (as an
// installed worker does). turbo builds before testing; a direct `vitest run` rebuilds here when
// the output is missing or older than the source.
function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

function buildIfStale(packageDir: string): void {
  const dist = join(packageDir, 'dist', 'index.js')
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(packageDir, 'src'))) return
  const tsc = join(packageDir, '..', '..', 'node_modules', '.bin', 'tsc')
  try {
    execFileSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'pipe' })
  } catch {
    // tsc still emits on type errors; the typecheck task reports those.
  }
}

export default function setup(): void {
  const here = join(import.meta.dirname, '..')
  buildIfStale(join(here, '..', 'core'))
  buildIfStale(here)
}
