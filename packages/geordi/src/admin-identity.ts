import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { redactText, reportDiagnostic } from '@intro/core'
import type { AdminKeyHook } from './types.js'

// An adminKey answer is shown on the recent page; longer ones are cut.
const LABEL_MAX = 200

/** Who started a job: `key` for the pending-job limits, `label` for the recent-profiles page. */
export interface AdminIdentity {
  key: string
  label: string
}

/**
 * The `adminKey` hook's answer, or, without one (or when it throws), a hash of the credentials
 * the request carries. Of the hash only a prefix is shown: it tells sessions apart without
 * helping anyone guess them.
 */
export async function identifyAdmin<Req>(options: { req: IncomingMessage; request: Req; hook: AdminKeyHook<Req> | undefined }): Promise<AdminIdentity> {
  const { req, request, hook } = options
  if (hook !== undefined) {
    try {
      const key = await hook(request)
      if (typeof key === 'string') return { key: `hook:${key}`, label: redactText(key.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, LABEL_MAX)) }
    } catch (error) {
      reportDiagnostic({ level: 'warn', scope: 'geordi.adminKey', message: 'adminKey hook failed; using the credentials hash', error })
    }
  }
  const credentials = `${req.headers.cookie ?? ''}\0${req.headers.authorization ?? ''}`
  const hash = createHash('sha256').update(credentials).digest('base64url')
  return { key: `credentials:${hash}`, label: `credentials ${hash.slice(0, 8)}` }
}
