/** The demo's request scenarios: the driver sends them, the landing page links them. */
export interface Scenario {
  /** Short id, also the key in summary.json. */
  key: string
  /** What the progress line says while it runs. */
  label: string
  /** Path and query. */
  path: string
  /** Sent with the demo admin's cookie (geordi authorizes it). */
  admin?: boolean
  /** How many times the driver sends it. */
  times?: number
  /** Status codes that count as success. */
  expectStatus: readonly number[]
  /** One line for the landing page. */
  description: string
}

/** The cookie that makes a browser the demo's admin (see `/login-as-admin`). */
export const ADMIN_COOKIE = 'demo_role=admin'

/** `(a+)+$` backtracks exponentially on a run of `a`s followed by something else. */
export const EVIL_PATTERN = '(a+)+$'

export const SCENARIOS: readonly Scenario[] = [
  {
    key: 'feed',
    label: 'fast requests: the feed',
    path: '/feed',
    times: 20,
    expectStatus: [200],
    description: 'The latest headlines, from one quick SQL query. Fast requests leave no watchdog report.',
  },
  {
    key: 'article',
    label: 'fast SQL: articles',
    path: '/articles/42',
    times: 5,
    expectStatus: [200],
    description: 'One article: an UPDATE … RETURNING carrying the request id in its SQL comment.',
  },
  {
    key: 'search',
    label: 'search with a sane regex',
    path: `/search?pattern=${encodeURIComponent('night trains?')}`,
    expectStatus: [200],
    description: 'Searches headlines with a user-supplied regex, timeboxed by cow.',
  },
  {
    key: 'evilRegex',
    label: 'evil regex (a+)+$',
    path: `/search?pattern=${encodeURIComponent(EVIL_PATTERN)}`,
    expectStatus: [422],
    description: 'A catastrophic-backtracking pattern: cow interrupts it and the app answers 422 instead of hanging.',
  },
  {
    key: 'slowSql',
    label: 'slow SQL request',
    path: '/slow-report',
    expectStatus: [200],
    description: 'Waits on a slow query (pg_sleep) past the watchdog timer: the report shows the SQL it waits on.',
  },
  {
    key: 'blockingLoop',
    label: 'request that blocks the event loop',
    path: '/trending',
    expectStatus: [200],
    description: 'Blocks the event loop in computeTrendingScores: the report shows the running stack and its locals.',
  },
  {
    key: 'geordi',
    label: '?__geordi__ profile as admin',
    path: '/trending-lite?__geordi__',
    admin: true,
    expectStatus: [303],
    description: 'Admin only: replays the request under the V8 CPU profiler and answers with a PDF call graph.',
  },
]
