import { ADMIN_COOKIE, SCENARIOS } from '../scenarios.js'
import type { ArticleSummary } from './articles.js'

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export interface LandingPageOptions {
  headlines: readonly ArticleSummary[]
  isAdmin: boolean
  /** The demo's output folder, where reports, profiles and logs go. */
  outDir: string
}

/** The front page: today's headlines and a link to every scenario, for exploring in a browser. */
export function landingPage({ headlines, isAdmin, outDir }: LandingPageOptions): string {
  const scenarios = SCENARIOS.map(
    (s) =>
      `<li><a href="${escapeHtml(s.path)}"><code>${escapeHtml(s.path)}</code></a>${s.admin ? ' <em>(admin)</em>' : ''} — ${escapeHtml(s.description)}</li>`,
  ).join('\n')
  const news = headlines.map((a) => `<li><a href="/articles/${a.id}">${escapeHtml(a.title)}</a> <small>${escapeHtml(a.topic)}</small></li>`).join('\n')
  const admin = isAdmin
    ? `You are the demo admin (cookie <code>${escapeHtml(ADMIN_COOKIE)}</code>). <a href="/logout">Log out</a>`
    : `<a href="/login-as-admin">Log in as the demo admin</a> to use <code>?__geordi__</code>.`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>intro demo — Daily Bugle</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}li{margin:.3em 0}</style>
</head><body>
<h1>Daily Bugle <small>— an app instrumented with intro</small></h1>
<p>${admin}</p>
<h2>Scenarios</h2>
<ul>
${scenarios}
<li><a href="/search?pattern=${encodeURIComponent('^City')}"><code>/search?pattern=…</code></a> — try your own pattern.</li>
</ul>
<p>Watchdog reports, profiles, the SQL log and StatsD flushes are written under <code>${escapeHtml(outDir)}/</code>.</p>
<h2>Latest headlines</h2>
<ul>
${news}
</ul>
</body></html>`
}
