import { type IntegrationName, type OutboundHeaders, type SqlRewriter, addTo, addUser, integrationState } from './state.js'

/**
 * Installs the function that rewrites every query's text before pg and mysql2 send it (stats
 * adds its sqlcommenter comment). Rewriters are asked in install order and the first that returns
 * a string wins (one that returns `undefined` passes); returns the function that removes it.
 */
export function addSqlRewriter(rewrite: SqlRewriter): () => void {
  return addTo(integrationState().sqlRewriters, rewrite)
}

/**
 * Installs the provider of headers for every outbound `fetch` / `node:http` call (stats sends
 * the correlation id). The first installed wins; returns the function that removes it.
 */
export function addOutboundHeaders(provide: OutboundHeaders, clients: { fetch: boolean; http: boolean }): () => void {
  return addTo(integrationState().outboundHeaders, { provide, fetch: clients.fetch, http: clients.http })
}

/** Asks that `name`'s calls be recorded as operations; returns the function that withdraws it. */
export function recordOperations(name: IntegrationName): () => void {
  return addUser(name)
}
