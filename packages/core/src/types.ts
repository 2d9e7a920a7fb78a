import type { RequestContext } from './context.js'

/** What a finished request reports to {@link LifecycleHooks.onFinish}. */
export interface FinishInfo {
  statusCode: number
  durationMs: number
}

/** What a request closed by the client before the response reports to {@link LifecycleHooks.onAbort}. */
export interface AbortInfo {
  durationMs: number
}

/**
 * Callbacks for the request lifecycle, the same for every framework adapter.
 * Each runs inside `safeExecute`: a throwing hook is reported to diagnostics and the request goes on.
 */
export interface LifecycleHooks {
  /** The request started; the context (id, method, URL, headers) is set. */
  onStart?(context: RequestContext): void
  /** The response was fully handed to the OS. */
  onFinish?(context: RequestContext, info: FinishInfo): void
  /** The connection closed before the response finished. */
  onAbort?(context: RequestContext, info: AbortInfo): void
  /**
   * `false`: `onFinish` and `onAbort` never call `getContext()` (they use the context they are
   * given), so core may call them outside the request's context, which saves an
   * `AsyncLocalStorage#run` per request.
   * @defaultValue `true`
   */
  readonly runInContext?: boolean
}

/** Options shared by every adapter (`wrapHandler`, `expressMiddleware`, `fastifyPlugin`, `koaMiddleware`). */
export interface AdapterOptions {
  /** Hooks called for requests seen by this adapter. */
  hooks?: LifecycleHooks
  /**
   * Accept an inbound `X-Request-ID` / `traceparent` as the correlation id. Only enable it when
   * every client is a trusted upstream (your load balancer or another service of yours); the
   * value must still pass a strict charset and length check.
   * @defaultValue `false` (or `INTRO_TRUST_UPSTREAM_IDS=1`)
   */
  trustUpstreamIds?: boolean
  /**
   * Response header that echoes the correlation id; `false` sends none.
   * @defaultValue `'x-request-id'`
   */
  responseHeader?: string | false
}

/** Describes an operation for {@link trackOperation} / {@link startOperation}. */
export interface OperationInit {
  /** Short category: `'sql'`, `'http'`, `'redis'`, `'lock'`, … */
  kind: string
  /** What it is: the SQL text, the URL, the command. Consumers redact and truncate it. */
  description: string
  /** Anything else worth showing (statement kind, host, …). */
  attributes?: Record<string, unknown>
}

/** What {@link onOperation}'s `end` receives. */
export interface OperationEndInfo {
  durationMs: number
  error?: unknown
}

/** Starting data for {@link runWithContext}. */
export interface ContextInit {
  /** Correlation id; a fresh UUID when absent. */
  id?: string
  /** Script or job name, e.g. `send_subscriptions`; shown in SQL comments outside requests. */
  name?: string
  /** Script or job arguments. */
  args?: readonly string[]
  /** Free-form tags (user id, tenant, …). */
  tags?: Record<string, string>
}
