import { dirname } from 'node:path'
import express, { type Request, type Response, type Router } from 'express'
import type pino from 'pino'
import { ADMIN_COOKIE } from '../scenarios.js'
import type { ArticleStore } from './articles.js'
import type { AppConfig } from './config.js'
import { landingPage } from './landing-page.js'
import { type SearchOutcome, searchHeadlines } from './search.js'
import { computeTrendingScores, rankHeadlines } from './trending.js'

/** True when the request carries the demo admin's cookie. */
export function isDemoAdmin(req: { headers: { cookie?: string | undefined } }): boolean {
  return (req.headers.cookie ?? '').split(/;\s*/).includes(ADMIN_COOKIE)
}

function articleId(req: Request): number | undefined {
  const id = Number(req.params.id)
  return Number.isInteger(id) && id > 0 ? id : undefined
}

/** The news feed's routes. */
export function newsRoutes(store: ArticleStore, config: AppConfig, logger: pino.Logger): Router {
  const router = express.Router()

  router.get('/', async (req, res) => {
    res.type('html').send(landingPage({ headlines: await store.latest(15), isAdmin: isDemoAdmin(req), outDir: dirname(config.dogslowDir) }))
  })

  router.get('/feed', async (_req, res) => {
    res.json({ articles: await store.latest(20) })
  })

  router.get('/articles/:id', async (req, res) => {
    const id = articleId(req)
    const article = id === undefined ? undefined : await store.read(id)
    if (article === undefined) {
      res.status(404).json({ error: 'no such article' })
      return
    }
    res.json(article)
  })

  router.get('/slow-report', async (_req, res) => {
    logger.info('building the monthly report')
    res.json({ topics: await store.monthlyReport(config.slowReportSeconds) })
  })

  router.get('/trending', async (_req, res) => {
    const articles = await store.stats()
    res.json({ trending: computeTrendingScores(articles, config.trendingBlockMs) })
  })

  router.get('/trending-lite', async (_req, res) => {
    const articles = await store.stats()
    res.json({ trending: rankHeadlines(articles, 150) })
  })

  router.get('/search', async (req, res) => {
    const pattern = typeof req.query.pattern === 'string' ? req.query.pattern : ''
    const outcome: SearchOutcome = await searchHeadlines(store, pattern, config.searchTimeoutMs)
    if (outcome.kind === 'timeout') logger.warn({ pattern }, 'search pattern timed out')
    sendSearch(res, outcome)
  })

  router.get('/login-as-admin', (_req, res) => {
    res.setHeader('Set-Cookie', `${ADMIN_COOKIE}; Path=/; HttpOnly; SameSite=Lax`)
    res.redirect('/')
  })

  router.get('/logout', (_req, res) => {
    res.setHeader('Set-Cookie', `${ADMIN_COOKIE.split('=')[0]}=; Path=/; Max-Age=0`)
    res.redirect('/')
  })

  return router
}

function sendSearch(res: Response, outcome: SearchOutcome): void {
  switch (outcome.kind) {
    case 'ok':
      res.json({ pattern: outcome.pattern, matches: outcome.matches })
      return
    case 'invalid':
      res.status(400).json({ error: `invalid regular expression: ${outcome.message}` })
      return
    case 'timeout':
      res.status(422).json({
        error: `the pattern took longer than ${outcome.timeoutMs} ms and was stopped; simplify it (nested quantifiers like (a+)+ backtrack exponentially)`,
      })
  }
}
