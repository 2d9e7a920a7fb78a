import { rmSync } from 'node:fs'

const atExit = new Set<() => void>()
let installed = false

/**
 * Runs `fn` synchronously when the test process exits without having called
 * `stop()` (a crashed or forgotten test), so no server outlives its test run.
 * Returns the function that unregisters it.
 */
export function onProcessExit(fn: () => void): () => void {
  if (!installed) {
    installed = true
    process.once('exit', () => {
      for (const cleanup of atExit) {
        try {
          cleanup()
        } catch {
          // Best effort: the process is exiting anyway.
        }
      }
    })
  }
  atExit.add(fn)
  return () => {
    atExit.delete(fn)
  }
}

/** Removes a temporary directory, ignoring one that is already gone. */
export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true, maxRetries: 3 })
}
