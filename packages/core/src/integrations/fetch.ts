import diagnosticsChannel from 'node:diagnostics_channel'
import type { OperationHandle } from '../operations.js'
import { safeExecute } from '../diagnostics.js'
import { headersFor, trackHttp } from './outbound.js'
import { integrationState, sharedInstall } from './state.js'

interface UndiciRequest {
  origin?: string | URL
  path?: string
  method?: string
  headers?: string | string[]
  addHeader?(name: string, value: string): void
}

function undiciHas(request: UndiciRequest, name: string): boolean {
  const headers = request.headers
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i]?.toLowerCase() === name) return true
    return false
  }
  return typeof headers === 'string' && headers.toLowerCase().includes(`${name}:`)
}

function subscribeFetch(): () => void {
  const pending = new WeakMap<object, OperationHandle>()
  const byOrigin = new Map<string, Set<object>>()
  const finish = (request: object, error?: unknown) => {
    const handle = pending.get(request)
    if (handle === undefined) return
    pending.delete(request)
    handle.end(error)
    for (const set of byOrigin.values()) set.delete(request)
  }
  // Published synchronously inside the app's `fetch()` call, in its async context: the
  // operation's stack reaches the app's line (below ~20 undici frames) and its request.
  const onCreate = (message: unknown) =>
    safeExecute('core.fetch', () => {
      const request = (message as { request: UndiciRequest }).request
      const origin = String(request.origin ?? '')
      const headers = headersFor('fetch', origin)
      if (headers !== undefined && typeof request.addHeader === 'function') {
        for (const [name, value] of headers) if (!undiciHas(request, name)) request.addHeader(name, value)
      }
      const handle = trackHttp('fetch', request.method ?? 'GET', origin, request.path ?? '')
      if (handle !== undefined) {
        pending.set(request, handle)
        const set = byOrigin.get(origin) ?? new Set<object>()
        byOrigin.set(origin, set)
        set.add(request)
      }
    })
  // The call ends when the response headers arrive: a body the app never reads (or only
  // cancels) produces no 'trailers' event, and ending there would leave the operation open for
  // the life of the process.
  const onResponseHeaders = (message: unknown) => finish((message as { request: object }).request)
  const onError = (message: unknown) => {
    const { request, error } = message as { request: object; error: unknown }
    finish(request, error)
  }
  const onHeaders = (message: unknown) => {
    const request = (message as { request: object }).request
    for (const set of byOrigin.values()) set.delete(request)
  }
  // A failed connect is published without the request: end the calls to that origin that are
  // still waiting for their headers to go out.
  const onConnectError = (message: unknown) =>
    safeExecute('core.fetch', () => {
      const { connectParams, error } = message as { connectParams: { protocol?: string; host?: string }; error: unknown }
      const origin = `${connectParams.protocol ?? 'http:'}//${connectParams.host ?? ''}`
      const set = byOrigin.get(origin)
      if (set === undefined) return
      for (const request of [...set]) finish(request, error)
      byOrigin.delete(origin)
    })
  const subscriptions: Array<[string, (message: unknown) => void]> = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onResponseHeaders],
    ['undici:request:error', onError],
    ['undici:client:sendHeaders', onHeaders],
    ['undici:client:connectError', onConnectError],
  ]
  for (const [name, fn] of subscriptions) diagnosticsChannel.subscribe(name, fn)
  return () => {
    for (const [name, fn] of subscriptions) diagnosticsChannel.unsubscribe(name, fn)
  }
}

/**
 * Records `fetch` (and undici) calls through undici's diagnostics channels — no patching —
 * as `http` operations until their response headers, and adds the installed provider's
 * headers. Process-wide like a patch: one subscription serves every copy and install. Returns
 * the function that stops this install.
 */
export function instrumentFetch(): () => void {
  const state = integrationState()
  return sharedInstall(
    state,
    'fetch',
    () => {
      state.unsubscribe.fetch = subscribeFetch()
    },
    () => {
      state.unsubscribe.fetch?.()
      state.unsubscribe.fetch = undefined
    },
  )
}
