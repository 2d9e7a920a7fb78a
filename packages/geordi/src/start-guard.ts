import type { IncomingMessage } from 'node:http'
import { GeordiErrorCodes } from './errors.js'

/** Why a start request is refused, as the admin's error page shows it. */
export interface StartRefusal {
  statusCode: 403 | 405
  title: string
  code: string
  message: string
}

const SAFE_METHODS = new Set(['GET', 'HEAD'])
// `none` is a navigation the user started (address bar, bookmark); clients that are not browsers
// send no Sec-Fetch-Site at all.
const STARTING_SITES = new Set(['same-origin', 'none'])

function first(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text?.split(',')[0]?.trim().toLowerCase()
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host
  } catch {
    return undefined
  }
}

/**
 * A page on another site can send an admin's browser to `…?__geordi__` (a link, an image, a
 * form): the browser adds the admin's cookies and a replay would start. Browsers say where a
 * request comes from in `Sec-Fetch-Site`, and in `Origin` for most requests that are not plain
 * navigations; the Origin's host is compared with `Host` (or `X-Forwarded-Host`), not its scheme,
 * so a TLS-terminating proxy does not matter.
 */
function crossSiteReason(req: IncomingMessage): string | undefined {
  const site = first(req.headers['sec-fetch-site'])
  if (site !== undefined && !STARTING_SITES.has(site)) return `the request came from another site (Sec-Fetch-Site: ${site})`
  const origin = first(req.headers.origin)
  if (origin === undefined) return undefined
  const host = originHost(origin)
  const own = [first(req.headers.host), first(req.headers['x-forwarded-host'])]
  if (host === undefined || !own.includes(host)) return `the request came from another origin (Origin: ${origin})`
  return undefined
}

/** Refuses a start request that came from another site, or whose method may not be replayed. */
export function startRefusal(req: IncomingMessage, replayUnsafeMethods: boolean): StartRefusal | undefined {
  const crossSite = crossSiteReason(req)
  if (crossSite !== undefined) {
    return {
      statusCode: 403,
      title: 'Profiling refused',
      code: GeordiErrorCodes.crossSite,
      message: `${crossSite}; open the URL with ?__geordi__ yourself (address bar or bookmark) to profile it`,
    }
  }
  const method = req.method ?? 'GET'
  if (!replayUnsafeMethods && !SAFE_METHODS.has(method)) {
    return {
      statusCode: 405,
      title: 'Method not profiled',
      code: GeordiErrorCodes.methodNotAllowed,
      message: `${method} requests are replayed only when replayUnsafeMethods is on: a replay runs the request again, side effects included`,
    }
  }
  return undefined
}
