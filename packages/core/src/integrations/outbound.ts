import { safeExecute } from '../diagnostics.js'
import { type OperationHandle, startOperation } from '../operations.js'
import { redactUrl } from '../redact-url.js'
import { type IntegrationName, outboundHeaders, recording } from './state.js'

/** Starts the `http` operation of an outbound call, when some consumer records `client`'s calls. */
export function trackHttp(client: IntegrationName, method: string, origin: string, path: string): OperationHandle | undefined {
  if (!recording(client)) return undefined
  let host = origin
  try {
    host = new URL(origin).host
  } catch {}
  // Redacted here, once: the description reaches dogslow reports, logs and anyone listening to
  // the operation registry, and an outgoing `?api_key=` is as secret as an incoming one.
  return startOperation({ kind: 'http', description: `${method} ${redactUrl(`${origin}${path}`)}`, attributes: { host, method } })
}

/** The headers the installed provider (stats' correlation ids) wants on a call to `origin`. */
export function headersFor(client: 'fetch' | 'http', origin: string): Array<[string, string]> | undefined {
  const provide = outboundHeaders(client)
  if (provide === undefined) return undefined
  return safeExecute('core.outbound.headers', () => provide(origin))
}
