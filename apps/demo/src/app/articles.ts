import type pg from 'pg'
import type { ArticleStats } from './trending.js'

export interface ArticleSummary {
  id: number
  title: string
  topic: string
  publishedAt: string
}

export interface Article extends ArticleSummary {
  body: string
  views: number
}

interface ArticleRow {
  id: number
  title: string
  topic: string
  body: string
  views: number
  published_at: Date
}

function toArticle(row: ArticleRow): Article {
  return { id: row.id, title: row.title, topic: row.topic, body: row.body, views: row.views, publishedAt: row.published_at.toISOString() }
}

/** The news feed's queries, on `pg` (instrumented by @intro/stats: each carries its request's id). */
export class ArticleStore {
  constructor(private readonly pool: pg.Pool) {}

  async latest(limit: number): Promise<ArticleSummary[]> {
    const { rows } = await this.pool.query<ArticleRow>(
      'SELECT id, title, topic, body, views, published_at FROM articles ORDER BY published_at DESC LIMIT $1',
      [limit],
    )
    return rows.map(toArticle).map(({ id, title, topic, publishedAt }) => ({ id, title, topic, publishedAt }))
  }

  /** Reads one article and counts the view. */
  async read(id: number): Promise<Article | undefined> {
    const { rows } = await this.pool.query<ArticleRow>(
      'UPDATE articles SET views = views + 1 WHERE id = $1 RETURNING id, title, topic, body, views, published_at',
      [id],
    )
    const row = rows[0]
    return row === undefined ? undefined : toArticle(row)
  }

  async stats(): Promise<ArticleStats[]> {
    const { rows } = await this.pool.query<ArticleRow>('SELECT id, title, views, published_at FROM articles')
    return rows.map((row) => ({ id: row.id, title: row.title, views: row.views, publishedAt: row.published_at }))
  }

  async titles(): Promise<Array<{ id: number; title: string }>> {
    const { rows } = await this.pool.query<{ id: number; title: string }>('SELECT id, title FROM articles ORDER BY id')
    return rows
  }

  /**
   * The editors' monthly report: views per topic. Its `pg_sleep` stands in for the sequential
   * scan of a big table, so the request waits on the database well past the watchdog's timer.
   */
  async monthlyReport(sleepSeconds: number): Promise<Array<{ topic: string; articles: number; views: number }>> {
    const { rows } = await this.pool.query<{ topic: string; articles: string; views: string }>(
      'SELECT topic, count(*) AS articles, sum(views) AS views FROM articles CROSS JOIN pg_sleep($1) GROUP BY topic ORDER BY topic',
      [sleepSeconds],
    )
    return rows.map((row) => ({ topic: row.topic, articles: Number(row.articles), views: Number(row.views) }))
  }
}
