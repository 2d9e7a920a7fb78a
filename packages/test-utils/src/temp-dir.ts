import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under the OS temp dir, named after the server that uses it. */
export function makeTempDir(kind: string): string {
  return mkdtempSync(join(tmpdir(), `intro-${kind}-`))
}
