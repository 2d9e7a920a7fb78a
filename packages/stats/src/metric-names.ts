import type { MetricTags } from './types.js'

const UNSAFE = /[^A-Za-z0-9_-]+/g
const EDGES = /^_+|_+$/g
const UNSAFE_PATH = /[^A-Za-z0-9_.-]+/g
const DOTS = /\.{2,}/g
const MAX_SEGMENT = 100

/**
 * Makes one Graphite key segment out of any string: only `[A-Za-z0-9_-]` survive, every other
 * run of characters (dots, slashes, colons, spaces) becomes one `_`. `/users/:id` → `users_id`.
 */
export function sanitizeSegment(value: string | number): string {
  const text = String(value).replace(UNSAFE, '_').replace(EDGES, '')
  if (text.length === 0) return 'root'
  return text.length > MAX_SEGMENT ? text.slice(0, MAX_SEGMENT) : text
}

/** Sanitises a dotted metric name, keeping its dots as hierarchy (`db.cache.get`). */
export function sanitizeName(name: string): string {
  const text = name.replace(UNSAFE_PATH, '_').replace(DOTS, '.').replace(/^\.|\.$/g, '')
  return text.length === 0 ? 'unnamed' : text
}

// Constants, not a template per call: the result is a map key on every request, and a fresh
// string must be hashed before each lookup.
const STATUS_CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

/** `2xx`, `4xx`, … for a status code. */
export function statusClass(statusCode: number): string {
  const hundreds = Math.floor(statusCode / 100)
  return STATUS_CLASSES[hundreds >= 1 && hundreds <= 5 ? hundreds : 0] as string
}

/** Joins a base name and its tag values into a Graphite key (`http.request.users_id.GET.2xx`). */
export function graphiteKey(name: string, tags: MetricTags | undefined): string {
  if (tags === undefined) return name
  let key = name
  for (const value of Object.values(tags)) key += `.${sanitizeSegment(value)}`
  return key
}

/** Tag values for DogStatsD/Telegraf: no separators (`,` `|` `#` `:` `=`) and no spaces. */
export function tagValue(value: string | number): string {
  return String(value).replace(/[,|#:=\s]/g, '_')
}

// Shared with core's SQL integrations, which set each operation's `statement` attribute.
export { statementKind } from '@intro/core'
