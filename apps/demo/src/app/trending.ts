import { performance } from 'node:perf_hooks'

/** What the trending computations read from each article. */
export interface ArticleStats {
  id: number
  title: string
  views: number
  publishedAt: Date
}

export interface TrendingScore {
  id: number
  title: string
  score: number
}

/**
 * Scores every article by simulating `windowHours` of decaying attention, over and over until
 * `budgetMs` is spent — synchronous work that blocks the event loop for the whole budget.
 * It is the demo's deliberately bad endpoint: the watchdog should name this function and show
 * its local variables.
 */
export function computeTrendingScores(articles: readonly ArticleStats[], budgetMs: number): TrendingScore[] {
  const windowHours = 48
  const decay = 0.97
  const scores = new Float64Array(articles.length)
  const deadline = performance.now() + budgetMs
  let passes = 0
  while (performance.now() < deadline) {
    for (let i = 0; i < articles.length; i++) {
      const article = articles[i] as ArticleStats
      let attention = article.views
      for (let hour = 0; hour < windowHours; hour++) attention = attention * decay + Math.sqrt(hour + article.id)
      scores[i] = ((scores[i] as number) * passes + attention) / (passes + 1)
    }
    passes++
  }
  return articles
    .map((article, i) => ({ id: article.id, title: article.title, score: Math.round(scores[i] as number) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 10)
}

/**
 * Ranks headlines by a word-frequency model, `rounds` times over: the CPU-heavy part of
 * `/trending-lite`, short enough to serve but worth profiling with `?__geordi__`.
 */
export function rankHeadlines(articles: readonly ArticleStats[], rounds: number): TrendingScore[] {
  const totals = new Map<string, number>()
  let ranked: TrendingScore[] = []
  for (let round = 0; round < rounds; round++) {
    totals.clear()
    for (const article of articles) {
      for (const word of article.title.toLowerCase().split(/\W+/)) totals.set(word, (totals.get(word) ?? 0) + 1)
    }
    ranked = articles.map((article) => ({ id: article.id, title: article.title, score: headlineWeight(article.title, totals) }))
    ranked.sort((a, b) => b.score - a.score)
  }
  return ranked.slice(0, 10)
}

function headlineWeight(title: string, totals: Map<string, number>): number {
  let weight = 0
  for (const word of title.toLowerCase().split(/\W+/)) weight += 1 / (totals.get(word) ?? 1)
  return Math.round(weight * 1000)
}
