import { isResultId } from './result-id.js'
import type { ResultFileKind } from './types.js'

/** The query parameter that turns profiling on. */
export const GEORDI_PARAM = '__geordi__'

/** What `?__geordi__…` asks for. */
export type GeordiRequest =
  | { kind: 'start' }
  | { kind: 'page'; id: string }
  | { kind: 'status'; id: string }
  | { kind: 'file'; id: string; file: ResultFileKind }
  | { kind: 'recent' }
  | { kind: 'invalid' }

/** A URL's geordi parameter, and the URL without it. */
export interface ParsedGeordiUrl {
  request: GeordiRequest
  /** `url` with every `__geordi__` parameter removed; the rest is kept byte for byte. */
  strippedUrl: string
}

const START_VALUES = new Set(['', '1', 'true', 'start'])
/** `?__geordi__=recent`: the admin page listing recent profiles. */
export const RECENT_VALUE = 'recent'
const SUFFIXES: Record<string, ResultFileKind | 'status'> = {
  json: 'status',
  pdf: 'pdf',
  svg: 'svg',
  cpuprofile: 'cpuprofile',
  'flame.svg': 'flame',
  'speedscope.json': 'speedscope',
  'pb.gz': 'pprof',
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/** Cheap first test for the hot path: could this URL carry the parameter at all? */
export function mayCarryGeordiParam(url: string | undefined): boolean {
  return url?.includes(GEORDI_PARAM) === true
}

/** Finds `__geordi__` in a request URL (path and query); `undefined` when absent. */
export function parseGeordiUrl(url: string): ParsedGeordiUrl | undefined {
  const hashAt = url.indexOf('#')
  const withoutHash = hashAt === -1 ? url : url.slice(0, hashAt)
  const queryAt = withoutHash.indexOf('?')
  if (queryAt === -1) return undefined
  const path = withoutHash.slice(0, queryAt)
  const kept: string[] = []
  let value: string | undefined
  for (const part of withoutHash.slice(queryAt + 1).split('&')) {
    const eq = part.indexOf('=')
    const key = safeDecode(eq === -1 ? part : part.slice(0, eq))
    if (key === GEORDI_PARAM) value = eq === -1 ? '' : (safeDecode(part.slice(eq + 1)) ?? '\0')
    else if (part !== '') kept.push(part)
  }
  if (value === undefined) return undefined
  const strippedUrl = kept.length === 0 ? path : `${path}?${kept.join('&')}`
  return { request: classify(value), strippedUrl }
}

function classify(value: string): GeordiRequest {
  if (START_VALUES.has(value)) return { kind: 'start' }
  if (value === RECENT_VALUE) return { kind: 'recent' }
  const dot = value.indexOf('.')
  const id = dot === -1 ? value : value.slice(0, dot)
  if (!isResultId(id)) return { kind: 'invalid' }
  if (dot === -1) return { kind: 'page', id }
  const suffix = SUFFIXES[value.slice(dot + 1)]
  if (suffix === undefined) return { kind: 'invalid' }
  return suffix === 'status' ? { kind: 'status', id } : { kind: 'file', id, file: suffix }
}

/** `strippedUrl` with `__geordi__=<value>` appended: the URL of a job's page or files. */
export function geordiUrl(strippedUrl: string, value: string): string {
  return `${strippedUrl}${strippedUrl.includes('?') ? '&' : '?'}${GEORDI_PARAM}=${encodeURIComponent(value)}`
}

/**
 * A path on this site to redirect or link to, whatever the request target was. Browsers read
 * `//host/…` and `/\host/…` as another site (and drop tabs and newlines before reading), and an
 * absolute-form target (`GET http://host/… HTTP/1.1`) names a site of its own: the result must
 * start with a single `/` followed by neither `/` nor `\`.
 */
export function sameOriginPath(url: string): string {
  let path = url
  if (!path.startsWith('/')) {
    try {
      const parsed = new URL(path)
      path = `${parsed.pathname}${parsed.search}`
    } catch {
      path = '/'
    }
  }
  const encoded = path.replace(/[\x00-\x20\x7f\\]/g, (c) => encodeURIComponent(c))
  return `/${encoded.replace(/^\/+/, '')}`
}

/** `url` without its `__geordi__` parameters, or `undefined` when it carries none. */
export function withoutGeordiParam(url: string | undefined): string | undefined {
  return url === undefined || !mayCarryGeordiParam(url) ? undefined : parseGeordiUrl(url)?.strippedUrl
}
