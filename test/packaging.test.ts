// Every publishable package must install and load on its own from `pnpm pack`
// output, in a project outside the monorepo, from ESM (`import`) and from
// CommonJS (`require`, which loads our ESM on Node >= 20.19). That is how users
// get the packages, and what workspace tests running on TypeScript source
// cannot catch: a missing `files` entry, a `workspace:` range left in the
// manifest, a dependency only hoisted in the monorepo, a top-level await.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { startHttpServer, startPostgres, startRedis } from '@intro/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const execFileAsync = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Publishable packages, and export names each must expose (the entry points the docs teach). */
const packages = {
  core: ['getContext', 'runWithContext', 'wrapHandler', 'expressMiddleware', 'fastifyPlugin', 'koaMiddleware', 'trackOperation', 'safeExecute', 'IntroError'],
  dogslow: ['createDogslow', 'renderReport', 'DogslowError'],
  geordi: ['createGeordi', 'startGeordiWorker', 'GeordiError', 'GEORDI_HEADER'],
  cow: ['withTimeout', 'timeboxed', 'createQuota', 'createWorkerPool', 'TimeoutError'],
  stats: ['createStats', 'instrumentPg', 'instrumentMysql2', 'instrumentOutboundHttp', 'commentSql', 'pinoMixin'],
} as const satisfies Record<string, readonly string[]>
type PackageDir = keyof typeof packages
/** Subpath entry points and an export each must expose (the renderer lives apart from the web side). */
const subpaths: Partial<Record<PackageDir, Record<string, string>>> = { geordi: { render: 'renderProfileReport' } }
/** Commands (package.json `bin`) each package installs. */
const commands: Partial<Record<PackageDir, string[]>> = { geordi: ['geordi-render', 'geordi-worker'] }
const featurePackages = (Object.keys(packages) as PackageDir[]).filter((name) => name !== 'core')

/** Child processes get a plain environment: no loader or condition flags from the test runner. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  delete env.VITEST
  delete env.VITEST_MODE
  delete env.VITEST_POOL_ID
  delete env.VITEST_WORKER_ID
  return env
}

function pnpmCommand(): { command: string; args: string[] } {
  const execPath = process.env.npm_execpath
  if (execPath && /pnpm/.test(execPath) && /\.c?js$/.test(execPath)) return { command: process.execPath, args: [execPath] }
  return { command: 'pnpm', args: [] }
}

async function pack(dir: PackageDir, destination: string): Promise<string> {
  const packageDir = join(root, 'packages', dir)
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    throw new Error(`packages/${dir}/dist is missing: build first (npm test runs turbo's build before the tests)`)
  }
  const pnpm = pnpmCommand()
  const { stdout } = await execFileAsync(pnpm.command, [...pnpm.args, 'pack', '--json', '--pack-destination', destination], {
    cwd: packageDir,
    env: cleanEnv(),
    timeout: 120_000,
  })
  const { filename } = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string }
  return filename
}

/** Export names of the workspace build: what the installed package must expose too. */
async function builtExportNames(dir: PackageDir): Promise<string[]> {
  const url = pathToFileURL(join(root, 'packages', dir, 'dist', 'index.js')).href
  const script = `const m = await import(${JSON.stringify(url)}); console.log(JSON.stringify(Object.keys(m).sort()))`
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { env: cleanEnv(), timeout: 60_000 })
  return JSON.parse(stdout) as string[]
}

async function runNode(cwd: string, file: string): Promise<string[]> {
  const { stdout } = await execFileAsync(process.execPath, ['--no-warnings', file], { cwd, env: cleanEnv(), timeout: 60_000 })
  return JSON.parse(stdout) as string[]
}

const scratchDirs: string[] = []
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `intro-packaging-${prefix}-`))
  scratchDirs.push(dir)
  return dir
}

describe('packed packages', () => {
  const tarballs = new Map<PackageDir, string>()

  beforeAll(async () => {
    const destination = scratch('tarballs')
    for (const dir of Object.keys(packages) as PackageDir[]) tarballs.set(dir, await pack(dir, destination))
  }, 300_000)

  afterAll(async () => {
    const { rm } = await import('node:fs/promises')
    await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })

  it('each ship a README, a license and their built entry point', async () => {
    for (const [dir, tarball] of tarballs) {
      const { stdout } = await execFileAsync('tar', ['-tzf', tarball])
      const files = stdout.split('\n')
      expect(files, `@intro/${dir}`).toContain('package/README.md')
      expect(files, `@intro/${dir}`).toContain('package/LICENSE')
      expect(files, `@intro/${dir}`).toContain('package/dist/index.js')
      expect(files, `@intro/${dir}`).toContain('package/dist/index.d.ts')
      const manifest = JSON.parse((await execFileAsync('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as { license?: string }
      expect(manifest.license, `@intro/${dir}`).toBeTruthy()
    }
  })

  it('have no workspace: ranges left in their manifests', async () => {
    for (const [dir, tarball] of tarballs) {
      const { stdout } = await execFileAsync('tar', ['-xzOf', tarball, 'package/package.json'])
      expect(stdout, `@intro/${dir}`).not.toContain('workspace:')
    }
  })

  it('@intro/cow ships a native watchdog for every supported Node line on linux-x64', async () => {
    const { stdout } = await execFileAsync('tar', ['-tzf', tarballs.get('cow')!])
    // ABIs of Node 20, 22, 24 and 26.
    for (const abi of [115, 127, 137, 147]) expect(stdout.split('\n')).toContain(`package/prebuilds/linux-x64/cow.abi${abi}.node`)
  })

  it('@intro/cow preempts through its native watchdog once installed, on this Node line', async () => {
    const project = scratch('cow-native')
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-cow-native', version: '1.0.0', private: true }))
    await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', tarballs.get('core')!, tarballs.get('cow')!], {
      cwd: project,
      env: cleanEnv(),
      timeout: 240_000,
    })
    const script = [
      "import { preemptionMode, withTimeout } from '@intro/cow'",
      'let code',
      'try { withTimeout(20, () => { for (;;) {} }) } catch (error) { code = error.code }',
      'console.log(JSON.stringify([preemptionMode(), code]))',
    ].join('\n')
    writeFileSync(join(project, 'native.mjs'), script)
    const { stdout } = await execFileAsync(process.execPath, ['native.mjs'], { cwd: project, env: { ...cleanEnv(), INTRO_COW_PREEMPTION: 'native' }, timeout: 60_000 })
    expect(JSON.parse(stdout)).toEqual(['native', 'ERR_INTRO_TIMEOUT'])
  }, 300_000)

  for (const dir of ['core', ...featurePackages] as PackageDir[]) {
    const name = `@intro/${dir}`
    it(`${name} installs from its tarball outside the monorepo and loads with import and require`, async () => {
      const project = scratch(dir)
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `scratch-${dir}`, version: '1.0.0', private: true }))
      const wanted = dir === 'core' ? [tarballs.get('core')!] : [tarballs.get('core')!, tarballs.get(dir)!]
      await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...wanted], {
        cwd: project,
        env: cleanEnv(),
        timeout: 240_000,
      })
      const installed = join(project, 'node_modules', '@intro', dir)
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { types?: string; bin?: Record<string, string> }
      expect(existsSync(join(installed, manifest.types ?? 'dist/index.d.ts'))).toBe(true)

      writeFileSync(join(project, 'check.mjs'), `const m = await import('${name}')\nconsole.log(JSON.stringify(Object.keys(m).sort()))\n`)
      writeFileSync(join(project, 'check.cjs'), `const m = require('${name}')\nconsole.log(JSON.stringify(Object.keys(m).filter((k) => k !== '__esModule' && k !== 'module.exports').sort()))\n`)
      const expected = await builtExportNames(dir)
      expect(expected).toEqual(expect.arrayContaining([...packages[dir]]))
      expect(await runNode(project, 'check.mjs')).toEqual(expected)
      expect(await runNode(project, 'check.cjs')).toEqual(expected)
      for (const [subpath, exported] of Object.entries(subpaths[dir] ?? {})) {
        writeFileSync(join(project, 'sub.mjs'), `const m = await import('${name}/${subpath}')\nconsole.log(JSON.stringify(Object.keys(m)))\n`)
        writeFileSync(join(project, 'sub.cjs'), `const m = require('${name}/${subpath}')\nconsole.log(JSON.stringify(Object.keys(m)))\n`)
        expect(await runNode(project, 'sub.mjs'), `${name}/${subpath}`).toContain(exported)
        expect(await runNode(project, 'sub.cjs'), `${name}/${subpath}`).toContain(exported)
      }
      // The commands a package's docs tell users to run exist once it is installed, and start.
      for (const command of commands[dir] ?? []) {
        const { stdout } = await execFileAsync(join(project, 'node_modules', '.bin', command), ['--help'], { cwd: project, env: cleanEnv(), timeout: 60_000 })
        expect(stdout, command).toMatch(/usage/i)
        // What the docs say to type; --no-install: the installed package's bin, never the registry's.
        const viaNpx = await execFileAsync('npx', ['--no-install', command, '--help'], { cwd: project, env: cleanEnv(), timeout: 60_000 })
        expect(viaNpx.stdout, `npx ${command}`).toMatch(/usage/i)
      }
      // The bins are executable in the tarball itself (a shebang alone is not enough for a direct exec).
      const bins = Object.values(manifest.bin ?? {})
      if (bins.length > 0) {
        const { stdout: listing } = await execFileAsync('tar', ['-tvzf', tarballs.get(dir)!])
        for (const bin of bins) {
          const path = `package/${bin.replace(/^\.\//, '')}`
          const line = listing.split('\n').find((entry) => entry.endsWith(` ${path}`))
          expect(line, path).toMatch(/^-rwx/)
          expect(readFileSync(join(installed, bin), 'utf8').startsWith('#!/usr/bin/env node\n'), path).toBe(true)
        }
      }
    }, 300_000)
  }

  // What a user gets from `npm install @intro/dogslow pg` and two lines of wiring: the report of a
  // slow query names the app's own line, with pg loaded after the watchdog (CommonJS) or before
  // it (ES modules), and with stats installed too the query is recorded once.
  it('@intro/dogslow alone names the app line of a pg wait; with stats too, the query is recorded once', async () => {
    const postgres = await startPostgres()
    try {
      const project = scratch('dogslow-pg')
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-dogslow-pg', version: '1.0.0', private: true }))
      const wanted = [tarballs.get('core')!, tarballs.get('dogslow')!, tarballs.get('stats')!, 'pg@^8']
      await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...wanted], {
        cwd: project,
        env: cleanEnv(),
        timeout: 240_000,
      })
      const serve = (issue: string) => `
const server = http.createServer(dog.wrap(async (_req, res) => {
  ${issue}
  res.end('ok')
}))
server.listen(0, '127.0.0.1', async () => {
  await (await fetch('http://127.0.0.1:' + server.address().port + '/slow')).text()
  await new Promise((r) => setTimeout(r, 200))
  console.log(JSON.stringify(reports.map((r) => ({ culprit: r.text.split('\\n')[0], kinds: r.report.waitingOn.map((op) => op.kind) }))))
  server.close()
  await pool.end()
  await dog.close()
  if (typeof stats !== 'undefined') await stats.close()
})
`
      const common = `const reports = []
const dog = createDogslow({ timerMs: 300, logToFile: false, watchBlocked: false, onReport: (report, text) => reports.push({ report, text }) })
`
      const query = "await pool.query('SELECT pg_sleep(0.8)')"
      writeFileSync(
        join(project, 'app.cjs'),
        `const http = require('node:http')\nconst { createDogslow } = require('@intro/dogslow')\n${common}const pg = require('pg')\nconst pool = new pg.Pool({ connectionString: process.env.PG })\n${serve(query)}`,
      )
      writeFileSync(
        join(project, 'app.mjs'),
        `import http from 'node:http'\nimport pg from 'pg'\nimport { createDogslow } from '@intro/dogslow'\n${common}const pool = new pg.Pool({ connectionString: process.env.PG })\n${serve(query)}`,
      )
      writeFileSync(
        join(project, 'both.mjs'),
        `import http from 'node:http'\nimport pg from 'pg'\nimport { createDogslow } from '@intro/dogslow'\nimport { createStats, instrumentPg } from '@intro/stats'\n${common}const stats = createStats({ processIntervalMs: 0 })\ninstrumentPg(pg)\nconst pool = new pg.Pool({ connectionString: process.env.PG })\n${serve(query)}`,
      )
      const lineOf = (file: string) => readFileSync(join(project, file), 'utf8').split('\n').findIndex((line) => line.includes('pg_sleep')) + 1
      const run = async (file: string) => {
        const { stdout } = await execFileAsync(process.execPath, ['--no-warnings', file], {
          cwd: project,
          env: { ...cleanEnv(), PG: postgres.connectionString, INTRO_DIAGNOSTICS: 'silent' },
          timeout: 60_000,
        })
        return JSON.parse(stdout) as Array<{ culprit: string; kinds: string[] }>
      }
      for (const file of ['app.cjs', 'app.mjs', 'both.mjs']) {
        const [report, ...more] = await run(file)
        expect(more, file).toEqual([])
        expect(report?.culprit.startsWith('Culprit: '), file).toBe(true)
        expect(report?.culprit.endsWith(` (${join(project, file)}:${lineOf(file)})`), report?.culprit).toBe(true)
        expect(report?.kinds, file).toEqual(['sql'])
      }
    } finally {
      await postgres.stop()
    }
  }, 300_000)
  // The same from the user's side for every kind of wait the docs promise a line for: one app,
  // only @intro/dogslow and its drivers installed from the registry and the tarballs, several slow
  // requests at once, each report's Culprit the app's own line that issued the wait.
  it('@intro/dogslow alone names the app line of each kind of wait (pg, Redis, fetch, http.get, a child process, a FIFO), six slow requests at once', async () => {
    const [postgres, redis] = await Promise.all([startPostgres(), startRedis()])
    const upstream = await startHttpServer((_req, res) => {
      setTimeout(() => res.end('late'), 900)
    })
    try {
      const project = scratch('dogslow-waits')
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-dogslow-waits', version: '1.0.0', private: true, type: 'module' }))
      const wanted = [tarballs.get('core')!, tarballs.get('dogslow')!, 'pg@^8', 'ioredis@^5']
      await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...wanted], {
        cwd: project,
        env: cleanEnv(),
        timeout: 240_000,
      })
      // Each route's wait sits on a line ending with its `// WAIT:<route>` marker.
      writeFileSync(
        join(project, 'app.mjs'),
        `import { execFile } from 'node:child_process'
import { createReadStream, createWriteStream } from 'node:fs'
import http from 'node:http'
import { createDogslow } from '@intro/dogslow'
import pg from 'pg'
import { Redis } from 'ioredis'

const reports = []
const dog = createDogslow({ timerMs: 300, logToFile: false, watchBlocked: false, onReport: (report, text) => reports.push({ url: report.request.url, text }) })
const pool = new pg.Pool({ connectionString: process.env.PG })
const redis = new Redis(process.env.REDIS, { lazyConnect: true })
await redis.connect()
const upstream = process.env.UPSTREAM

const routes = {
  '/pg': async () => pool.query('SELECT pg_sleep(0.9)'), // WAIT:/pg
  '/redis': async () => redis.blpop('intro-packaging-empty', 0.9), // WAIT:/redis
  '/fetch': async () => (await fetch(upstream)).text(), // WAIT:/fetch
  '/http': () => new Promise((resolve) => http.get(upstream, (res) => res.resume().on('end', resolve))), // WAIT:/http
  '/child': () => new Promise((resolve) => execFile('sleep', ['0.9'], resolve)), // WAIT:/child
  '/fifo': () => new Promise((resolve) => createReadStream(process.env.FIFO).resume().on('end', resolve)), // WAIT:/fifo
}
// The FIFO's writer comes once the report is due; until then the read stream waits on its open.
// (Its open runs off the main thread too, so it never blocks the loop whoever comes first.)
setTimeout(() => createWriteStream(process.env.FIFO).end('late'), 900)

const server = http.createServer(dog.wrap(async (req, res) => {
  await routes[req.url]()
  res.end('ok')
}))
server.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port
  await Promise.all(Object.keys(routes).map(async (path) => (await fetch(base + path)).text()))
  console.log(JSON.stringify(reports.map((r) => ({ url: r.url, culprit: r.text.split('\\n')[0] }))))
  server.close()
  await pool.end()
  redis.disconnect()
  await dog.close()
})
`,
      )
      const fifo = join(project, 'pipe')
      await execFileAsync('mkfifo', [fifo])
      const source = readFileSync(join(project, 'app.mjs'), 'utf8').split('\n')
      const lineOf = (path: string) => source.findIndex((line) => line.endsWith(`// WAIT:${path}`)) + 1
      const { stdout } = await execFileAsync(process.execPath, ['--no-warnings', 'app.mjs'], {
        cwd: project,
        env: { ...cleanEnv(), PG: postgres.connectionString, REDIS: redis.url, UPSTREAM: `${upstream.url}/slow`, FIFO: fifo, INTRO_DIAGNOSTICS: 'silent' },
        timeout: 60_000,
      })
      const reports = JSON.parse(stdout) as Array<{ url: string; culprit: string }>
      const byPath = Object.fromEntries(reports.map((report) => [new URL(report.url, 'http://x').pathname, report.culprit]))
      expect(Object.keys(byPath).sort()).toEqual(['/child', '/fetch', '/fifo', '/http', '/pg', '/redis'])
      for (const [path, culprit] of Object.entries(byPath)) {
        expect(culprit, path).toMatch(/^Culprit: /)
        expect(culprit.endsWith(` (${join(project, 'app.mjs')}:${lineOf(path)})`), `${path}: ${culprit}`).toBe(true)
      }
    } finally {
      await Promise.all([postgres.stop(), redis.stop(), upstream.stop()])
    }
  }, 300_000)
})
