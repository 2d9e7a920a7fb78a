import { reportDiagnostic } from '@intro/core'
import type { GeordiMode } from './types.js'

type Env = Record<string, string | undefined>

/** Where the Redis URL came from, in the words a user greps their config for. */
function redisSource(redisUrl: string | undefined, env: Env): string {
  if (redisUrl !== undefined) return 'the `redisUrl` option'
  return env.GEORDI_REDIS_URL ? 'GEORDI_REDIS_URL' : 'REDIS_URL'
}

/**
 * Says once, when geordi is created, where profiling jobs will run and why: `auto` picks a mode
 * from whether a Redis URL happens to be set, which nobody sees otherwise — and inline profiling
 * in production profiles the whole web process along with the request.
 */
export function announceMode(options: { requested: GeordiMode | undefined; mode: 'inline' | 'queue'; queueName: string; redisUrl: string | undefined; env: Env }): void {
  const requested = options.requested ?? options.env.GEORDI_MODE ?? 'auto'
  if (options.mode === 'inline') {
    const why = requested === 'auto' ? 'mode auto found no Redis URL (redisUrl, GEORDI_REDIS_URL or REDIS_URL)' : 'mode inline was asked for'
    reportDiagnostic({
      level: 'warn',
      scope: 'geordi.mode',
      message: `profiling jobs run inline, in this web process: ${why}. Inline mode is not for production: the profile includes everything the process does meanwhile and the replay competes with live requests; set a Redis URL and run geordi-worker`,
    })
    return
  }
  const why = requested === 'auto' ? `mode auto found a Redis URL in ${redisSource(options.redisUrl, options.env)}` : 'mode queue was asked for'
  reportDiagnostic({
    level: 'info',
    announce: true,
    scope: 'geordi.mode',
    message: `profiling jobs go to the BullMQ queue "${options.queueName}" for geordi-worker processes: ${why}`,
  })
}
