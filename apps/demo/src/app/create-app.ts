import express, { type ErrorRequestHandler, type Express } from 'express'
import type pino from 'pino'
import type { ArticleStore } from './articles.js'
import type { AppConfig } from './config.js'
import type { Instrumentation } from './instrumentation.js'
import { newsRoutes } from './routes.js'

/** The news-feed app with intro installed. */
export function createApp(store: ArticleStore, config: AppConfig, instrumentation: Instrumentation, logger: pino.Logger): Express {
  const app = express()
  app.disable('x-powered-by')
  instrumentation.installBefore(app)
  app.use((req, res, next) => {
    res.on('finish', () => logger.info({ method: req.method, url: req.originalUrl, status: res.statusCode }, 'request finished'))
    next()
  })
  app.use(newsRoutes(store, config, logger))
  instrumentation.installAfter(app)
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    logger.error({ err: error }, 'request failed')
    if (!res.headersSent) res.status(500).json({ error: 'internal error' })
  }
  app.use(onError)
  return app
}
