// Builds the native watchdog (native/cow.cc) with node-gyp and copies it to
// prebuilds/<platform>-<arch>/cow.abi<modules>.node, where src/native.ts looks for it.
//
// The addon is an accelerator: without it withTimeout falls back to the inspector. So a failed
// build warns and exits 0 — except under CI=true, where it fails, so that CI proves the
// accelerator builds and loads.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const nativeDir = join(packageDir, 'native')
const target = join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, `cow.abi${process.versions.modules}.node`)
const strict = process.env.CI === 'true'

function fail(reason, output = '') {
  if (output !== '') process.stderr.write(`${output}\n`)
  if (strict) {
    process.stderr.write(`@intro/cow: native watchdog build failed (CI=true): ${reason}\n`)
    process.exit(1)
  }
  const kept = existsSync(target) ? ` (the previous build at ${target} is kept)` : ''
  process.stderr.write(
    `@intro/cow: WARNING: native watchdog not built: ${reason}${kept}.\n` +
      '@intro/cow: withTimeout falls back to the inspector (~15 µs instead of ~0.2 µs per synchronous call). ' +
      'Install a C++ toolchain, python3 and Node headers, then rebuild.\n',
  )
  process.exit(0)
}

// node-gyp: the one npm or pnpm hands to scripts, a local install, or the one bundled with npm.
function findNodeGyp() {
  const inNpm = (prefix) => join(prefix, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  const bin = dirname(process.execPath)
  const candidates = [
    () => process.env.npm_config_node_gyp,
    () => createRequire(join(packageDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js'),
    () => inNpm(join(bin, '..', 'lib')),
    () => inNpm(bin),
    () => inNpm(join(execFileSync('npm', ['prefix', '-g'], { encoding: 'utf8', shell: process.platform === 'win32' }).trim(), 'lib')),
  ]
  for (const candidate of candidates) {
    try {
      const path = candidate()
      if (path && existsSync(path)) return path
    } catch {}
  }
  return undefined
}

// Headers of the running Node when it was installed with them (distribution packages put them in
// <prefix>/include/node): without them node-gyp downloads headers, which fails offline.
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return []
  const prefix = join(dirname(process.execPath), '..')
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? [`--nodedir=${prefix}`] : []
}

const nodeGyp = findNodeGyp()
if (nodeGyp === undefined) fail('node-gyp not found (neither bundled with npm nor installed)')

const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--directory=${nativeDir}`, '--loglevel=warn', ...nodedirArgs()], {
  cwd: nativeDir,
  encoding: 'utf8',
  timeout: 300_000,
})
const output = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim()
if (build.error !== undefined) fail(`node-gyp did not run: ${build.error.message}`, output)
if (build.status !== 0) fail(`node-gyp exited with ${build.status}`, output)

const built = join(nativeDir, 'build', 'Release', 'cow.node')
if (!existsSync(built)) fail(`node-gyp reported success but ${built} is missing`, output)
try {
  const addon = createRequire(import.meta.url)(built)
  if (addon.run(() => {}, 1_000) !== false) throw new Error('run() did not report a completed call')
} catch (error) {
  fail(`the built addon does not load: ${error.message}`, output)
}
mkdirSync(dirname(target), { recursive: true })
// Copy then rename: a process that has the previous file loaded keeps its mapping intact.
const temporary = `${target}.${process.pid}.tmp`
copyFileSync(built, temporary)
renameSync(temporary, target)
