// Install step of the published package: the tarball carries prebuilt watchdogs for linux-x64
// on every supported Node line; anywhere else (another platform, a newer ABI) build one for the
// running Node when a compiler is there. Never fails the install: without the addon withTimeout
// falls back to the inspector and says so once at run time.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const prebuilt = join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, `cow.abi${process.versions.modules}.node`)
// A source checkout builds its addons in its build step (scripts/build-native.mjs).
const sourceCheckout = existsSync(join(packageDir, 'tsconfig.json'))

if (!sourceCheckout && !existsSync(prebuilt)) {
  process.stderr.write(`@intro/cow: no prebuilt watchdog for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}; building one\n`)
  const { CI: _ci, ...env } = process.env
  spawnSync(process.execPath, [join(packageDir, 'scripts', 'build-native.mjs'), '--current'], { stdio: 'inherit', env })
}
