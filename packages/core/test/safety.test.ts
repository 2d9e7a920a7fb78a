import http from 'node:http'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type DiagnosticEvent,
  ErrorCodes,
  IntroError,
  type LifecycleHooks,
  type RequestContext,
  expressMiddleware,
  getContext,
  onDiagnostic,
  onOperation,
  onRequestLifecycle,
  reportDiagnostic,
  safeExecute,
  trackOperation,
  wrapHandler,
} from '../src/index.js'
import { type TestApp, frameworks } from './helpers/apps.js'
import { delay, listen, request, requestThenDestroy, within } from './helpers/http.js'

function collectDiagnostics() {
  const events: DiagnosticEvent[] = []
  const off = onDiagnostic((event) => events.push(event))
  return { events, off }
}

const boom = () => {
  throw new Error('hook failed')
}

describe.each(frameworks)('throwing hooks on $name', (framework) => {
  let app: TestApp | undefined
  let off: (() => void) | undefined
  afterEach(async () => {
    off?.()
    await app?.close()
    app = undefined
  })

  it('do not change the response; diagnostics receives each error', async () => {
    app = await framework.build({})
    const baseline = await request(`${app.url}/users/42/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
    await app.close()

    const diagnostics = collectDiagnostics()
    off = diagnostics.off
    let finished!: () => void
    const finishSeen = new Promise<void>((resolve) => {
      finished = resolve
    })
    const hooks: LifecycleHooks = {
      onStart: boom,
      onFinish: () => {
        finished()
        boom()
      },
    }
    const offGlobal = onRequestLifecycle({ onStart: boom, onFinish: async () => Promise.reject(new Error('async hook failed')) })
    try {
      app = await framework.build({ hooks })
      const reply = await request(`${app.url}/users/42/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
      await within(finishSeen, 5_000, 'onFinish')
      await delay(10)
      expect(reply.status).toBe(baseline.status)
      expect(JSON.parse(reply.body).body).toEqual(JSON.parse(baseline.body).body)
      expect(reply.headers['content-type']).toBe(baseline.headers['content-type'])
      const hookErrors = diagnostics.events.filter((e) => e.scope === 'core.lifecycle.hook')
      expect(hookErrors).toHaveLength(4)
      expect(hookErrors.every((e) => e.level === 'error' && e.error instanceof Error)).toBe(true)
    } finally {
      offGlobal()
    }
  })

  it('a throwing onAbort is reported and the server keeps serving', async () => {
    const diagnostics = collectDiagnostics()
    off = diagnostics.off
    let started!: () => void
    const startSeen = new Promise<void>((resolve) => {
      started = resolve
    })
    app = await framework.build({ hooks: { onStart: () => started(), onAbort: boom } })
    await requestThenDestroy(`${app.url}/slow`, startSeen)
    await within(
      (async () => {
        while (!diagnostics.events.some((e) => e.scope === 'core.lifecycle.hook')) await delay(5)
      })(),
      5_000,
      'abort hook diagnostic',
    )
    expect((await request(`${app.url}/users/1`)).status).toBe(200)
  })
})

describe('several adapters on one request', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => close?.())

  it('share one context; each adapter’s hooks run once', async () => {
    const calls: string[] = []
    const routes: Array<string | undefined> = []
    const ids = new Set<string>()
    const hooks = (name: string): LifecycleHooks => ({
      onStart: (ctx: RequestContext) => {
        calls.push(`${name} start`)
        ids.add(ctx.id)
      },
      onFinish: (ctx) => {
        calls.push(`${name} finish`)
        routes.push(ctx.route)
        ids.add(ctx.id)
      },
    })
    const app = express()
    app.use(expressMiddleware({ hooks: hooks('stats') }))
    app.use(expressMiddleware({ hooks: hooks('dogslow') }))
    app.get('/orders/:id', (_req, res) => {
      res.send(getContext()?.id)
    })
    const server = await listen(http.createServer(wrapHandler(app, { hooks: hooks('outer') })))
    close = server.close
    const reply = await request(`${server.url}/orders/1`)
    await delay(10)
    expect([...ids]).toEqual([reply.body])
    // The outer node:http adapter knows no routes; Express behind it supplies the template.
    expect(routes).toEqual(['/orders/:id', '/orders/:id', '/orders/:id'])
    expect(reply.headers['x-request-id']).toBe(reply.body)
    expect(calls.sort()).toEqual(['dogslow finish', 'dogslow start', 'outer finish', 'outer start', 'stats finish', 'stats start'])
  })
})

describe('diagnostics', () => {
  it('a throwing diagnostics listener neither crashes the app nor stops other listeners', async () => {
    const off1 = onDiagnostic(() => {
      throw new Error('listener failed')
    })
    const second = collectDiagnostics()
    const restore = captureStderr()
    try {
      reportDiagnostic({ level: 'warn', scope: 'test.diag', message: 'm' })
      await delay(5) // an uncaught exception would surface on the next tick and fail the run
    } finally {
      restore.stop()
      off1()
      second.off()
    }
    expect(second.events).toEqual([{ level: 'warn', scope: 'test.diag', message: 'm' }])
  })

  it('prints errors to stderr when nobody listens, once per minute per message, and not at all when INTRO_DIAGNOSTICS=silent', () => {
    const scope = `test.fallback.${Date.now()}`
    const stderr = captureStderr()
    const saved = process.env.INTRO_DIAGNOSTICS
    try {
      reportDiagnostic({ level: 'error', scope, message: 'sink down', error: new Error('ECONNREFUSED') })
      reportDiagnostic({ level: 'error', scope, message: 'sink down', error: new Error('ECONNREFUSED') })
      reportDiagnostic({ level: 'info', scope, message: 'just so you know' })
      process.env.INTRO_DIAGNOSTICS = 'silent'
      reportDiagnostic({ level: 'error', scope, message: 'muted' })
    } finally {
      if (saved === undefined) delete process.env.INTRO_DIAGNOSTICS
      else process.env.INTRO_DIAGNOSTICS = saved
      stderr.stop()
    }
    const lines = stderr.text().split('\n').filter((line) => line.includes(scope))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('ECONNREFUSED')
  })
})

/** Captures what is written to stderr while it runs (the diagnostics fallback output). */
function captureStderr() {
  const original = process.stderr.write
  let captured = ''
  process.stderr.write = ((chunk: string | Uint8Array) => {
    captured += String(chunk)
    return true
  }) as typeof process.stderr.write
  return {
    text: () => captured,
    stop: () => {
      process.stderr.write = original
    },
  }
}

describe('safeExecute', () => {
  it('returns the result, or undefined after reporting a throw or a rejection', async () => {
    const { events, off } = collectDiagnostics()
    try {
      expect(safeExecute('test.ok', () => 42)).toBe(42)
      expect(safeExecute('test.sync', boom)).toBeUndefined()
      expect(await safeExecute('test.async', async () => Promise.reject(new Error('nope')))).toBeUndefined()
      expect(await safeExecute('test.async.ok', async () => 'fine')).toBe('fine')
    } finally {
      off()
    }
    expect(events.map((e) => `${e.level} ${e.scope}`)).toEqual(['error test.sync', 'error test.async'])
  })
})

describe('onOperation', () => {
  it('a throwing listener is reported and the tracked call still returns its value', async () => {
    const { events, off } = collectDiagnostics()
    const offOps = onOperation({ start: boom, end: boom })
    try {
      const value = await trackOperation({ kind: 'sql', description: 'SELECT 1' }, async () => 'rows')
      await delay(5)
      expect(value).toBe('rows')
    } finally {
      offOps()
      off()
    }
    expect(events.filter((e) => e.scope === 'core.operation.listener')).toHaveLength(2)
  })
})

describe('IntroError', () => {
  it('carries a string code, a cause and its name', () => {
    const cause = new Error('socket hang up')
    const error = new IntroError('sink failed', { code: 'ERR_INTRO_SINK', cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('ERR_INTRO_SINK')
    expect(error.cause).toBe(cause)
    expect(error.name).toBe('IntroError')
    expect(new IntroError('x', { code: ErrorCodes.invalidOption }).cause).toBeUndefined()
  })
})
