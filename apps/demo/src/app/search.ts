import { withTimeout } from '@intro/cow'
import type { ArticleStore } from './articles.js'

/** Thrown by cow when the user's pattern runs past its time box. */
export class SearchTimeoutError extends Error {
  override name = 'SearchTimeoutError'
}

export type SearchOutcome =
  | { kind: 'ok'; pattern: string; matches: Array<{ id: number; title: string }> }
  | { kind: 'invalid'; message: string }
  | { kind: 'timeout'; timeoutMs: number }

/**
 * Matches a user-supplied regular expression against every headline, timeboxed by cow: a
 * pattern like `(a+)+$` backtracks for longer than the universe is old on the wrong headline,
 * and without the time box it would hold the event loop — and every other user — hostage.
 */
export async function searchHeadlines(store: ArticleStore, pattern: string, timeoutMs: number): Promise<SearchOutcome> {
  let regex: RegExp
  try {
    regex = new RegExp(pattern, 'i')
  } catch (error) {
    return { kind: 'invalid', message: error instanceof Error ? error.message : String(error) }
  }
  const headlines = await store.titles()
  try {
    const matches = withTimeout(timeoutMs, SearchTimeoutError, () => headlines.filter((article) => regex.test(article.title)))
    return { kind: 'ok', pattern, matches }
  } catch (error) {
    if (error instanceof SearchTimeoutError) return { kind: 'timeout', timeoutMs }
    throw error
  }
}
