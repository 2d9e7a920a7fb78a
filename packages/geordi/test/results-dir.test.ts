import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DiagnosticEvent, onDiagnostic } from '@intro/core'
import { createGeordi, GeordiError, GeordiErrorCodes, startGeordiWorker } from '@intro/geordi'
import { renderProfileReport } from '@intro/geordi/render'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript fixture shared with the worker process
import { createApp } from './fixtures/express-app.mjs'
import { ADMIN, EXPRESS_APP, get, listen, removeDir, startProfile, tempDir, waitForJob } from './helpers.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const NOBODY = 65534
const uid = process.getuid!()

function scratch(kind: string): string {
  const dir = tempDir(kind)
  cleanups.push(() => removeDir(dir))
  return dir
}

async function inlineApp(outDir: string) {
  const events: DiagnosticEvent[] = []
  cleanups.push(onDiagnostic((event) => events.push(event)))
  const app = createApp({ outDir, env: {} })
  const server = await listen(createServer(app))
  cleanups.push(() => app.geordi.close(), server.close)
  return { ...server, events }
}

/**
 * Directories geordi must refuse. A directory of another user can only be made as root; as any
 * other user, `/` is one (root's, not writable by others, so only ownership refuses it).
 */
function unsafeDirs(): Record<string, string> {
  const root = scratch('unsafe')
  const worldWritable = join(root, 'world-writable')
  mkdirSync(worldWritable)
  chmodSync(worldWritable, 0o777)
  const groupWritable = join(root, 'group-writable')
  mkdirSync(groupWritable)
  chmodSync(groupWritable, 0o770)
  const linkToShared = join(root, 'link-to-shared')
  symlinkSync(worldWritable, linkToShared)
  const dirs: Record<string, string> = { worldWritable, groupWritable, linkToShared }
  if (uid === 0) {
    const foreign = join(root, 'foreign')
    mkdirSync(foreign, { mode: 0o700 })
    chownSync(foreign, NOBODY, NOBODY)
    dirs.foreign = foreign
    // Planted by someone else: a link of theirs to a private directory of ours.
    const mine = join(root, 'mine')
    mkdirSync(mine, { mode: 0o700 })
    const plantedLink = join(root, 'planted-link')
    symlinkSync(mine, plantedLink)
    lchownSync(plantedLink, NOBODY, NOBODY)
    dirs.plantedLink = plantedLink
  } else {
    dirs.foreign = '/'
  }
  return dirs
}

describe('the results directory (outDir)', () => {
  it('defaults to a directory of this user under the OS temp dir', () => {
    const geordi = createGeordi({ env: {} })
    cleanups.push(() => geordi.close())
    expect(geordi.outDir).toBe(join(tmpdir(), `intro-geordi-${uid}`))
  })

  it('is created 0700 when missing', async () => {
    const outDir = join(scratch('fresh'), 'results')
    const web = await inlineApp(outDir)
    const { pageUrl } = await startProfile(web.url, '/hello')
    expect((await waitForJob(pageUrl)).state).toBe('done')
    expect(statSync(outDir).mode & 0o777).toBe(0o700)
  })

  it('is refused when another user owns it or may write to it: the admin gets a 503 page, diagnostics get the reason, nothing is written', async () => {
    for (const [kind, outDir] of Object.entries(unsafeDirs())) {
      const web = await inlineApp(outDir)
      const before = readdirSync(outDir)
      const res = await get(`${web.url}/hello?__geordi__`, ADMIN)
      expect(res.status, kind).toBe(503)
      expect(await res.text(), kind).toContain(GeordiErrorCodes.unsafeOutDir)
      const reported = web.events.find((event) => (event.error as GeordiError | undefined)?.code === GeordiErrorCodes.unsafeOutDir)
      expect(reported?.error, kind).toBeInstanceOf(GeordiError)
      expect(readdirSync(outDir), kind).toEqual(before)
      // Result pages are refused too: nothing is read from such a directory.
      const page = await get(`${web.url}/hello?__geordi__=AAAAAAAAAAAAAAAAAAAAAAAA`, ADMIN)
      expect(page.status, kind).toBe(503)
      // Everyone else is served by the app as usual.
      expect(await (await get(`${web.url}/hello?__geordi__`)).text()).toBe('hello')
    }
  })

  it('stops a worker from starting, with ERR_GEORDI_UNSAFE_OUT_DIR', async () => {
    for (const [kind, outDir] of Object.entries(unsafeDirs())) {
      const error = await startGeordiWorker({ app: EXPRESS_APP, outDir, redisUrl: 'redis://127.0.0.1:1', env: {} }).then(
        () => undefined,
        (failure: unknown) => failure,
      )
      expect(error, kind).toBeInstanceOf(GeordiError)
      expect((error as GeordiError).code, kind).toBe(GeordiErrorCodes.unsafeOutDir)
    }
  })

  it('never serves a result file through a symlink put in its place', async () => {
    const outDir = scratch('served')
    const web = await inlineApp(outDir)
    const { pageUrl, id } = await startProfile(web.url, '/cpu?ms=20')
    expect((await waitForJob(pageUrl)).state).toBe('done')
    const secret = join(scratch('secret'), 'secret.txt')
    writeFileSync(secret, 'secret-content')
    rmSync(join(outDir, id, 'profile.svg'))
    symlinkSync(secret, join(outDir, id, 'profile.svg'))
    const svg = await get(`${web.url}/cpu?__geordi__=${id}.svg`, ADMIN)
    expect(svg.status).toBe(404)
    expect(await svg.text()).not.toContain('secret-content')
  })
})

describe('renderProfileReport files', () => {
  it('are created 0600 and replace a symlink at their name instead of writing through it', async () => {
    const outDir = scratch('render')
    const victim = join(scratch('victim'), 'victim.txt')
    writeFileSync(victim, 'untouched')
    const names = ['report.cpuprofile', 'report.flame.svg', 'report.pb.gz', 'report.pdf', 'report.speedscope.json', 'report.svg']
    for (const name of names) symlinkSync(victim, join(outDir, name))
    const profile = { nodes: [{ id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 1 }], startTime: 0, endTime: 1000, samples: [1], timeDeltas: [1000] }
    const result = await renderProfileReport({ profile, meta: {}, outDir, baseName: 'report' })
    expect(readFileSync(victim, 'utf8')).toBe('untouched')
    for (const path of [result.pdfPath, result.svgPath, result.profilePath, result.flamePath, result.speedscopePath, result.pprofPath]) {
      expect(lstatSync(path).isFile(), path).toBe(true)
      expect(statSync(path).mode & 0o777, path).toBe(0o600)
    }
    // Only the six files: no temporary file is left behind.
    expect(readdirSync(outDir).sort()).toEqual(names)
  })
})
