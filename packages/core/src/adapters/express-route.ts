/**
 * The route template of an Express 4/5 request, built from the patterns the app was declared
 * with (`app.use('/t/:tenant', router)` + `router.get('/items/:id')` → `/t/:tenant/items/:id`).
 *
 * `req.baseUrl` holds the *matched text* of the mounts (`/t/acme`), so a template built from it
 * gives one metric series per tenant and puts the raw segment in SQL comments. Express keeps no
 * record of the mounts a request went through, so this replays the matching, read-only, down the
 * router stack to the layer whose route is `req.route` (OpenTelemetry's instrumentation records
 * the same chain by patching every layer; replaying costs nothing until the route is read, once
 * per request).
 */

/** A layer of Express 4 (`regexp` + `keys`) or of router 2.x (Express 5: `match()`, `rawPath`). */
interface ExpressLayer {
  name?: string
  route?: unknown
  handle?: { stack?: unknown }
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean }
  keys?: Array<{ name: string | number }>
  rawPath?: unknown
  match?: (path: string) => unknown
}

/** The parts of an Express app the replay reads. */
interface ExpressLikeApp {
  _router?: { stack?: unknown }
  router?: { stack?: unknown }
  parent?: unknown
}

/** The parts of an Express request the replay reads. */
export interface ExpressRouteRequest {
  url?: string
  originalUrl?: string
  route?: { path?: unknown }
  app?: unknown
}

interface Step {
  /** The template of the matched part, without a trailing slash. */
  template: string
  /** Length of the path text the layer consumed. */
  consumed: number
}

// Bounds the replay on apps with thousands of layers or deep nesting; past them the mount part
// is left out rather than guessed.
const MAX_DEPTH = 32
const MAX_VISITS = 20_000

/** Returns the route template of the matched route, or `undefined` before a route matched. */
export function expressRouteTemplate(req: ExpressRouteRequest): string | undefined {
  const route = req.route
  if (route === undefined || route === null) return undefined
  const apps = appChain(req.app)
  const root = apps[0]
  const path = pathnameOf(req.originalUrl ?? req.url ?? '/')
  const found = root === undefined ? undefined : new Replay(route, apps).walk(stackOf(root), path, 0, 0)
  if (found !== undefined) return found === '' ? '/' : found
  return typeof route.path === 'string' ? route.path : undefined
}

class Replay {
  #visits = 0

  constructor(
    private readonly route: unknown,
    private readonly apps: unknown[],
  ) {}

  /** Depth-first over `stack`: the template of the path to `route`, or `undefined`. */
  walk(stack: unknown[] | undefined, path: string, appIndex: number, depth: number): string | undefined {
    if (stack === undefined || depth > MAX_DEPTH) return undefined
    for (const entry of stack) {
      if (++this.#visits > MAX_VISITS) return undefined
      const layer = entry as ExpressLayer
      const isRoute = layer.route !== undefined && layer.route !== null
      if (isRoute && layer.route !== this.route) continue
      const isRouter = !isRoute && Array.isArray(layer.handle?.stack)
      const isApp = !isRoute && !isRouter && layer.name === 'mounted_app' && appIndex + 1 < this.apps.length
      if (!isRoute && !isRouter && !isApp) continue
      const step = matchLayer(layer, path)
      if (step === undefined) continue
      if (isRoute) return routeTemplate(layer.route as { path?: unknown }, step.template)
      const next = path[step.consumed]
      if (next !== undefined && next !== '/' && next !== '.') continue
      const rest = path.slice(step.consumed) || '/'
      const inner = isRouter
        ? this.walk(layer.handle?.stack as unknown[], rest.startsWith('/') ? rest : `/${rest}`, appIndex, depth + 1)
        : this.walk(stackOf(this.apps[appIndex + 1]), rest.startsWith('/') ? rest : `/${rest}`, appIndex + 1, depth + 1)
      if (inner !== undefined) return step.template + inner
    }
    return undefined
  }
}

function matchLayer(layer: ExpressLayer, path: string): Step | undefined {
  if (layer.regexp instanceof RegExp) return matchExpress4(layer, layer.regexp, path)
  if (typeof layer.match === 'function') return matchRouter2(layer, path)
  return undefined
}

const withIndices = new WeakMap<RegExp, RegExp>()
// Literal parts of a mount are matched case-insensitively: `/T/a` and `/t/b` would give two
// templates. The first template seen for a layer (per shape of optional groups) is kept.
const firstTemplates = new WeakMap<object, Map<string, string>>()

/** Express 4: the layer keeps only its compiled regexp, so the template is rebuilt from the match. */
function matchExpress4(layer: ExpressLayer, regexp: RegExp & { fast_slash?: boolean; fast_star?: boolean }, path: string): Step | undefined {
  if (regexp.fast_slash) return { template: '', consumed: 0 }
  if (regexp.fast_star) return { template: '*', consumed: path.length }
  let indexed = withIndices.get(regexp)
  if (indexed === undefined) {
    indexed = new RegExp(regexp.source, `${regexp.flags.replace(/[gy]/g, '')}d`)
    withIndices.set(regexp, indexed)
  }
  const match = indexed.exec(path)
  if (match === null || match.index !== 0) return undefined
  const text = match[0]
  const keys = layer.keys ?? []
  let template = ''
  let at = 0
  let shape = ''
  for (let group = 1; group < match.length; group++) {
    const range = match.indices?.[group]
    shape += range === undefined ? '0' : '1'
    if (range === undefined) continue
    const [start, end] = range
    if (start < at) continue
    template += `${text.slice(at, start)}:${keys[group - 1]?.name ?? group - 1}`
    at = end
  }
  template = trimSlash(template + text.slice(at))
  return { template: firstTemplate(layer, shape, template), consumed: text.length }
}

function firstTemplate(layer: object, shape: string, template: string): string {
  let seen = firstTemplates.get(layer)
  if (seen === undefined) {
    seen = new Map()
    firstTemplates.set(layer, seen)
  }
  const kept = seen.get(shape)
  if (kept !== undefined) return kept
  if (seen.size < 16) seen.set(shape, template)
  return template
}

/** router 2.x (Express 5): `match()` has no side effects and reports the declared pattern. */
function matchRouter2(layer: ExpressLayer, path: string): Step | undefined {
  const match = (layer.match as (path: string) => unknown)(path) as { path?: unknown; pattern?: unknown } | false
  if (!match || typeof match.path !== 'string') return undefined
  const pattern = match.pattern ?? layer.rawPath
  // Older router 2.x versions record no pattern: leave the mount out rather than use raw text.
  if (pattern === undefined) return undefined
  const template = typeof pattern === 'string' ? trimSlash(pattern) : String(pattern)
  return { template, consumed: match.path.length }
}

/** The route's own pattern; for a route declared with several paths, the one that matched. */
function routeTemplate(route: { path?: unknown }, matched: string): string {
  return typeof route.path === 'string' ? route.path : matched
}

function trimSlash(template: string): string {
  return template.endsWith('/') ? template.slice(0, -1) : template
}

/** The apps from the outermost down to `app` (a sub-app mounted with `app.use('/x', subApp)`). */
function appChain(app: unknown): unknown[] {
  const chain: unknown[] = []
  for (let current = app; current !== undefined && current !== null && chain.length <= MAX_DEPTH; current = (current as ExpressLikeApp).parent) {
    chain.unshift(current)
  }
  return chain
}

function stackOf(app: unknown): unknown[] | undefined {
  if (app === undefined || app === null) return undefined
  // Express 4 keeps `_router` (its `app.router` getter throws); Express 5's `app.router` is a
  // getter that creates the router on first use.
  try {
    const express4 = (app as ExpressLikeApp)._router
    const stack = express4 !== undefined ? express4.stack : (app as ExpressLikeApp).router?.stack
    return Array.isArray(stack) ? stack : undefined
  } catch {
    return undefined
  }
}

function pathnameOf(url: string): string {
  let path = url
  if (!path.startsWith('/')) {
    const scheme = path.indexOf('://')
    const slash = scheme === -1 ? -1 : path.indexOf('/', scheme + 3)
    path = slash === -1 ? '/' : path.slice(slash)
  }
  const query = path.search(/[?#]/)
  return query === -1 ? path : path.slice(0, query)
}
