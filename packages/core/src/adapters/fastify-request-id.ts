import type { IncomingMessage } from 'node:http'
import { resolveInboundId } from '../correlation-id.js'
import { envBoolean } from '../options.js'
import { checkBoolean, checkObject, optional } from '../option-checks.js'
import { rejectUnknownKeys } from '../option-keys.js'

// Shared by every installed copy of core: the id chosen for Fastify's logger must be the one the
// adapter's context uses, whichever copy each of them comes from.
const PRESET_ID = Symbol.for('intro.core.presetRequestId')

type PresetRequest = IncomingMessage & { [PRESET_ID]?: string }

/** Options of {@link createGenReqId}. */
export interface GenReqIdOptions {
  /**
   * Take the id from a valid incoming `X-Request-ID` (then `traceparent`), as the adapter's
   * option of the same name; give both the same value.
   * @defaultValue `false` (or `INTRO_TRUST_UPSTREAM_IDS=1`)
   */
  trustUpstreamIds?: boolean
}

/**
 * Builds a Fastify `genReqId`: Fastify's own log lines ("incoming request", "request
 * completed", `request.log`) then carry core's correlation id as `reqId`, the id of the
 * request's context, its `X-Request-ID` response header, SQL comments and slow-request reports.
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: true, genReqId: createGenReqId({ trustUpstreamIds: true }) })
 * await app.register(fastifyPlugin({ trustUpstreamIds: true }))
 * ```
 */
export function createGenReqId(options: GenReqIdOptions = {}): (req: IncomingMessage) => string {
  checkObject('options', options)
  rejectUnknownKeys('createGenReqId options', options, ['trustUpstreamIds'])
  const trusted = optional(options.trustUpstreamIds, (value) => checkBoolean('trustUpstreamIds', value), undefined) ??
    envBoolean(process.env, 'INTRO_TRUST_UPSTREAM_IDS') ?? false
  return function genReqId(req) {
    const id = resolveInboundId(req.headers, trusted)
    ;(req as PresetRequest)[PRESET_ID] = id
    return id
  }
}

/**
 * A Fastify `genReqId` with the default trust rule (`INTRO_TRUST_UPSTREAM_IDS`); see
 * {@link createGenReqId}.
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: true, genReqId })
 * await app.register(fastifyPlugin())
 * ```
 */
export const genReqId: (req: IncomingMessage) => string = (req) => defaultGenReqId()(req)

let cachedDefault: ((req: IncomingMessage) => string) | undefined
function defaultGenReqId(): (req: IncomingMessage) => string {
  cachedDefault ??= createGenReqId()
  return cachedDefault
}

/** The id a `genReqId` chose for this request, if one ran. */
export function presetRequestId(req: IncomingMessage): string | undefined {
  const id = (req as PresetRequest)[PRESET_ID]
  return typeof id === 'string' ? id : undefined
}
