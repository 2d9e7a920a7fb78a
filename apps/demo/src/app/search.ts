import type { ArticleStore } from './articles.js'

export type SearchOutcome =
  | { kind: 'ok'; pattern: string; matches: Array<{ id: number; title: string }> }
  | { kind: 'invalid'; message: string }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'unavailable'; reason: string }

/**
 * TODO(cow): the regex search is wired to @intro/cow's `withTimeout` once that package exports
 * it; until then a user-supplied pattern is refused rather than run without a time box (the
 * evil pattern would hold the event loop forever).
 */
export async function searchHeadlines(_store: ArticleStore, _pattern: string, _timeoutMs: number): Promise<SearchOutcome> {
  return { kind: 'unavailable', reason: 'regex search needs @intro/cow (not built yet)' }
}
