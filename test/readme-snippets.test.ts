// Every TypeScript snippet of the READMEs and docs compiles under `tsc --strict` against the
// built packages, the way a user pastes it into a project: the snippets are the first code most
// users run, and a snippet that does not compile is a bug report waiting to happen. The published
// declarations also compile with `"types": []` (TypeScript's coming default), where nothing
// brings in Node's types unless the declarations reference them.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { extractSnippets, type Snippet } from './snippets.js'

const execFileAsync = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const introPackages = ['core', 'cow', 'dogslow', 'geordi', 'stats'] as const
/** Private, but docs/testing.md shows how tests use it. */
const privatePackages = ['test-utils']

/** Third-party modules the snippets import, with their types; taken from the workspace's installs. */
const thirdParty = [
  '@types/node',
  'express',
  '@types/express',
  'koa',
  '@types/koa',
  '@koa/router',
  '@types/koa__router',
  'fastify',
  'pg',
  '@types/pg',
  'mysql2',
  'ioredis',
  'pino',
  'bullmq',
  'vitest',
]

function findInstalled(name: string): string {
  const candidates = [root, ...['packages', 'apps'].flatMap((dir) => readdirSync(join(root, dir)).map((entry) => join(root, dir, entry)))]
  for (const dir of candidates) {
    const path = join(dir, 'node_modules', name)
    if (existsSync(join(path, 'package.json'))) return path
  }
  throw new Error(`${name} is not installed anywhere in the workspace`)
}

const scratchDirs: string[] = []

/** A project outside the monorepo whose node_modules link the built packages and the third-party modules. */
function scratchProject(compilerOptions: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'intro-snippets-'))
  scratchDirs.push(dir)
  for (const name of introPackages) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.d.ts'))) throw new Error(`packages/${name}/dist is missing: build first`)
  }
  const link = (name: string, target: string) => {
    const path = join(dir, 'node_modules', name)
    mkdirSync(dirname(path), { recursive: true })
    symlinkSync(target, path, 'dir')
  }
  for (const name of [...introPackages, ...privatePackages]) link(`@intro/${name}`, join(root, 'packages', name))
  for (const name of thirdParty) link(name, findInstalled(name))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'snippets', private: true, type: 'module' }))
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      ...compilerOptions,
    },
    include: ['src'],
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  mkdirSync(join(dir, 'src'))
  return dir
}

/** Runs tsc on the project; resolves with its error lines (empty when it compiles). */
async function compile(project: string): Promise<string[]> {
  try {
    await execFileAsync(process.execPath, [tsc, '-p', '.'], { cwd: project, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 })
    return []
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error)
    return output.split('\n').filter((line) => line.trim() !== '')
  }
}

function markdownFiles(): string[] {
  const inDir = (dir: string, filter: (name: string) => boolean) =>
    readdirSync(join(root, dir))
      .filter(filter)
      .map((name) => join(dir, name))
  return [
    'README.md',
    ...readdirSync(join(root, 'packages'))
      .map((name) => join('packages', name, 'README.md'))
      .filter((path) => existsSync(join(root, path))),
    ...inDir('docs', (name) => name.endsWith('.md')),
  ]
}

afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
})

describe('documentation snippets', () => {
  it('every ```ts block of the READMEs and docs compiles under tsc --strict', async () => {
    const snippets: Snippet[] = markdownFiles().flatMap((file) => extractSnippets(file, readFileSync(join(root, file), 'utf8')))
    const compiled = snippets.filter((snippet) => !snippet.skipped)
    // Skips are for fragments that truly cannot compile; they stay rare.
    expect(snippets.length).toBeGreaterThan(20)
    expect(snippets.filter((snippet) => snippet.skipped).length).toBeLessThanOrEqual(Math.ceil(snippets.length / 10))
    const project = scratchProject({ types: ['node'], skipLibCheck: true })
    const names = new Map<string, Snippet>()
    for (const snippet of compiled) {
      const name = `${snippet.file.replace(/[^a-z0-9]+/gi, '_')}_line${snippet.line}.ts`
      names.set(name, snippet)
      // `export {}` makes each snippet a module of its own: top-level await, no clashing names.
      writeFileSync(join(project, 'src', name), `${snippet.code}\nexport {}\n`)
    }
    const errors = await compile(project)
    // Name each failure by its Markdown file and line, where the fix goes.
    const located = errors.map((line) => {
      const match = /^src\/([^(]+)\((\d+),(\d+)\): (.*)$/.exec(line)
      const snippet = match ? names.get(match[1] ?? '') : undefined
      return snippet && match ? `${snippet.file}:${snippet.line + Number(match[2])}: ${match[4]}` : line
    })
    expect(located).toEqual([])
  }, 300_000)

  it('the snippets of a framework type the authorize hook with its own request, no type argument', async () => {
    const project = scratchProject({ types: ['node'], skipLibCheck: true })
    writeFileSync(
      join(project, 'src', 'hooks.ts'),
      `import { createGeordi } from '@intro/geordi'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'

const onExpress = createGeordi({ framework: 'express', authorize: (req) => req.get('x-admin') === 'yes' && req.ip !== undefined })
express().use(onExpress.express()).use(onExpress.expressErrorHandler())
const onFastify = createGeordi({ framework: 'fastify', authorize: (request) => request.headers['x-admin'] === 'yes' && request.routeOptions.url !== '' })
const app = Fastify()
await app.register(onFastify.fastify())
app.setErrorHandler(onFastify.fastifyErrorHandler())
const onKoa = createGeordi({ framework: 'koa', authorize: (ctx) => ctx.get('x-admin') === 'yes' && ctx.state !== undefined })
new Koa().use(onKoa.koaErrorHandler()).use(onKoa.koa())
const onNode = createGeordi({ framework: 'node', authorize: (req) => req.headers['x-admin'] === 'yes' })
onNode.wrap((_req, res) => res.end())
// @ts-expect-error an Express request has no Koa \`state\`
createGeordi({ framework: 'express', authorize: (req) => req.state !== undefined })
createGeordi({
  framework: 'koa',
  authorize: (ctx) => {
    // @ts-expect-error a Koa context is not an Express request (Koa's context allows any property, so assign)
    const req: express.Request = ctx
    return req !== undefined
  },
})
export {}
`,
    )
    expect(await compile(project)).toEqual([])
  }, 300_000)

  it.each(introPackages)('the published declarations of @intro/%s compile with "types": [] (no ambient Node types)', async (name) => {
    const project = scratchProject({ types: [], skipLibCheck: false, lib: ['ES2023'] })
    writeFileSync(join(project, 'src', 'consumer.ts'), `import * as pkg from '@intro/${name}'\nexport const names: string[] = Object.keys(pkg)\n`)
    if (name === 'geordi') {
      writeFileSync(join(project, 'src', 'worker-cli.ts'), `import { runWorkerCli } from '@intro/geordi/worker-cli'\nexport const run: typeof runWorkerCli = runWorkerCli\n`)
    }
    expect(await compile(project)).toEqual([])
  }, 300_000)
})
