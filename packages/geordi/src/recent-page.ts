import type { JobUrls } from './pages.js'
import { escapeHtml, layout } from './pages.js'
import type { ResultStore } from './result-store.js'
import type { JobState } from './types.js'

/** Most profiles the `?__geordi__=recent` page lists: enough for a day's work, small enough to read at once. */
export const RECENT_LIMIT = 50

/** One row of the recent-profiles listing (also its JSON form). Nothing here is a credential. */
export interface RecentProfile {
  id: string
  state: JobState
  /** Who started it (see `JobStatus.admin`). */
  admin: string | undefined
  /** ISO 8601. */
  createdAt: string
  /** Method and redacted URL. */
  request: { method: string; url: string }
  statusCode: number | undefined
  wallMs: number | undefined
  /** Bytes of the result files on disk (0 until done). */
  filesBytes: number
  errorCode: string | undefined
  urls: JobUrls
}

/** The newest {@link RECENT_LIMIT} results of the store, newest first; links built by `urlsFor`. */
export async function recentProfiles(store: ResultStore, urlsFor: (id: string) => JobUrls): Promise<RecentProfile[]> {
  const statuses = await store.recent(RECENT_LIMIT)
  return Promise.all(
    statuses.map(async (status) => ({
      id: status.id,
      state: status.state,
      admin: status.admin,
      createdAt: new Date(status.createdAt).toISOString(),
      request: status.request,
      statusCode: status.response?.statusCode,
      wallMs: status.timings?.wallMs === undefined ? undefined : Math.round(status.timings.wallMs),
      filesBytes: status.state === 'done' ? await store.filesSize(status.id) : 0,
      errorCode: status.error?.code,
      urls: urlsFor(status.id),
    })),
  )
}

function size(bytes: number): string {
  if (bytes === 0) return '—'
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

// Only the URL wraps; the other columns are short.
const REQUEST_COLUMN = 2

function row(profile: RecentProfile): string {
  const { urls } = profile
  const files =
    profile.state === 'done'
      ? `<a href="${escapeHtml(urls.pdf)}">PDF</a><a href="${escapeHtml(urls.svg)}">SVG</a><a href="${escapeHtml(urls.cpuprofile)}">.cpuprofile</a>`
      : ''
  const state = profile.errorCode === undefined ? profile.state : `${profile.state} (${profile.errorCode})`
  const cells = [
    escapeHtml(profile.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
    escapeHtml(profile.admin ?? '—'),
    `<code>${escapeHtml(profile.request.method)} ${escapeHtml(profile.request.url)}</code>`,
    `<span class="${profile.state === 'failed' ? 'failed' : 'state'}">${escapeHtml(state)}</span>`,
    escapeHtml(profile.statusCode ?? '—'),
    escapeHtml(profile.wallMs === undefined ? '—' : `${profile.wallMs} ms`),
    escapeHtml(size(profile.filesBytes)),
    `<span class="links"><a href="${escapeHtml(urls.page)}">open</a>${files}</span>`,
  ]
  return `<tr>${cells.map((cell, at) => (at === REQUEST_COLUMN ? `<td class="request">${cell}</td>` : `<td>${cell}</td>`)).join('')}</tr>`
}

/** The admin page listing recent profiles: who, what (redacted), when, how big, and links. */
export function recentPage(profiles: readonly RecentProfile[], nonce: string): string {
  const head = ['When (UTC)', 'Who', 'Request', 'State', 'Status', 'Wall time', 'Files', 'Links'].map((name) => `<th>${name}</th>`).join('')
  const table =
    profiles.length === 0
      ? '<p>No profiles yet: add <code>?__geordi__</code> to a URL of this app to make one.</p>'
      : `<table class="recent"><tr>${head}</tr>${profiles.map(row).join('')}</table>`
  const body = `<h1>Recent profiles</h1><p>The ${RECENT_LIMIT} newest results kept in the results directory, newest first; URLs are redacted.</p>${table}`
  return layout('geordi: recent profiles', body, { nonce })
}
