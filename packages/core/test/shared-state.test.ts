import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import * as core from '../src/index.js'
import { listen, request } from './helpers/http.js'

type Core = typeof core

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src')
const copies: string[] = []
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true })
})

/** Loads a second, separately evaluated copy of core, as a second installed version would be. */
async function importCopy(): Promise<Core> {
  const dir = mkdtempSync(join(tmpdir(), 'intro-core-copy-'))
  copies.push(dir)
  cpSync(srcDir, dir, { recursive: true })
  return (await import(pathToFileURL(join(dir, 'index.ts')).href)) as Core
}

describe('two copies of core in one process', () => {
  it('share one request context when their state versions match', async () => {
    const copy = await importCopy()
    expect(copy.getContext).not.toBe(core.getContext)
    await core.runWithContext({ id: 'from-first-copy' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      expect(copy.getContext()?.id).toBe('from-first-copy')
    })
    copy.runWithContext({ id: 'from-second-copy' }, () => {
      expect(core.getContext()?.id).toBe('from-second-copy')
    })
  })

  it('give one request one context and one set of lifecycle subscribers across copies', async () => {
    const copy = await importCopy()
    const finished: string[] = []
    const off = core.onRequestLifecycle({ onFinish: (ctx) => finished.push(ctx.id) })
    const inFlightSeenByFirst: string[] = []
    const app = express()
    app.use(copy.expressMiddleware())
    app.get('/', (_req, res) => {
      inFlightSeenByFirst.push(...core.inFlightRequests().map((ctx) => ctx.id))
      res.send(core.getContext()?.id)
    })
    const server = await listen(http.createServer(core.wrapHandler(app)))
    try {
      const reply = await request(server.url)
      await new Promise((resolve) => setTimeout(resolve, 10))
      expect(reply.headers['x-request-id']).toBe(reply.body)
      expect(inFlightSeenByFirst).toEqual([reply.body])
      expect(finished).toEqual([reply.body])
    } finally {
      off()
      await server.close()
    }
  })

  it('warn through diagnostics and keep their own state when the state versions differ', async () => {
    const key = Symbol.for('intro.core')
    const real = Object.getOwnPropertyDescriptor(globalThis, key)
    const events: core.DiagnosticEvent[] = []
    const off = core.onDiagnostic((event) => events.push(event))
    let copy: Core
    try {
      Object.defineProperty(globalThis, key, { value: { stateVersion: 999 }, configurable: true })
      copy = await importCopy()
    } finally {
      off()
      if (real) Object.defineProperty(globalThis, key, real)
    }
    const warning = events.find((event) => event.scope === 'core.state')
    expect(warning?.level).toBe('warn')
    expect(warning?.error).toBeInstanceOf(Error)
    expect((warning?.error as { code?: string } | undefined)?.code).toBe(core.ErrorCodes.incompatibleCopy)
    copy.runWithContext({ id: 'isolated-copy' }, () => {
      expect(copy.getContext()?.id).toBe('isolated-copy')
      expect(core.getContext()).toBeUndefined()
    })
    core.runWithContext({ id: 'first-copy' }, () => {
      expect(copy.getContext()).toBeUndefined()
    })
  })
})
