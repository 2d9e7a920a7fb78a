import type pg from 'pg'

const TOPICS = ['politics', 'science', 'sports', 'culture', 'business', 'technology'] as const
const SUBJECTS = ['City council', 'Local team', 'Researchers', 'Startup', 'Museum', 'Central bank', 'Orchestra', 'Rail operator']
const VERBS = ['unveils', 'postpones', 'doubles down on', 'rethinks', 'celebrates', 'questions', 'funds', 'abandons']
const OBJECTS = ['new stadium plan', 'open data portal', 'night trains', 'four-day week', 'river clean-up', 'AI guidelines', 'free museum Sundays', 'bike lanes']

/** How many articles the seed creates. */
export const ARTICLE_COUNT = 240

/**
 * A headline the evil-regex scenario trips over: `(a+)+$` backtracks exponentially on a run of
 * `a`s that is not at the end of the string.
 */
export const SCREAMING_HEADLINE = `Fans chant 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' as derby ends in a draw`

function headline(i: number): string {
  if (i === 7) return SCREAMING_HEADLINE
  const subject = SUBJECTS[i % SUBJECTS.length]
  const verb = VERBS[(i * 3) % VERBS.length]
  const object = OBJECTS[(i * 5 + 1) % OBJECTS.length]
  return `${subject} ${verb} ${object} (#${i})`
}

/** Creates and fills the `articles` table unless it already has rows (a real `DATABASE_URL` keeps its data). */
export async function seedNews(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS articles (
    id integer PRIMARY KEY,
    title text NOT NULL,
    topic text NOT NULL,
    body text NOT NULL,
    views integer NOT NULL DEFAULT 0,
    published_at timestamptz NOT NULL
  )`)
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) AS count FROM articles')
  if (Number(rows[0]?.count ?? 0) > 0) return
  const base = Date.parse('2024-05-01T06:00:00Z')
  const values: unknown[] = []
  const tuples: string[] = []
  for (let i = 1; i <= ARTICLE_COUNT; i++) {
    const n = values.length
    tuples.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})`)
    const title = headline(i)
    values.push(i, title, TOPICS[i % TOPICS.length], `${title}. Full story to follow.`, (i * 7919) % 5000, new Date(base + i * 3_600_000))
  }
  await pool.query(`INSERT INTO articles (id, title, topic, body, views, published_at) VALUES ${tuples.join(', ')}`, values)
}
