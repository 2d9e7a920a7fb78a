import type { LifecycleHooks } from '@intro/core'
import { reportDiagnostic } from '@intro/core'

/**
 * Request metrics only exist for requests one of core's adapters saw; an app that created the
 * client but never installed an adapter sends process gauges and nothing else, which looks like
 * a working setup on a dashboard. This says so once, `afterMs` after `createStats()`, when no
 * request came through. The timer is unref'd: it never keeps a script alive.
 */
export function warnWithoutRequests(afterMs: number): { hooks: LifecycleHooks; stop(): void } {
  let seen = false
  const timer = setTimeout(() => {
    if (seen) return
    reportDiagnostic({
      level: 'warn',
      scope: 'stats.requests',
      message: `no request reached core's adapters within ${afterMs} ms of createStats(): request metrics need expressMiddleware(), fastifyPlugin(), koaMiddleware() or wrapHandler() (set requestsWarningMs: 0 to silence this)`,
    })
  }, afterMs)
  timer.unref()
  return {
    hooks: {
      onStart() {
        seen = true
        clearTimeout(timer)
      },
    },
    stop: () => clearTimeout(timer),
  }
}
