// The declarations use Node's types (node:http, NodeJS.*, AbortSignal): a consumer compiling with `"types": []` still gets them.
/// <reference types="node" preserve="true" />
export { createStats, DOGSLOW_REPORT_CHANNEL, MiscMetric } from './stats.js'
export { RequestMetric } from './request-metrics.js'
export { ProcessMetric } from './process-metrics.js'
export { OperationMetric } from './operation-metrics.js'
export { resolveStatsOptions } from './options.js'
export type { ResolvedStatsOptions } from './options.js'
export { sanitizeSegment, sanitizeName, statusClass, statementKind, graphiteKey } from './metric-names.js'
export {
  commentSql,
  createSqlCommenter,
  formatSqlComment,
  encodeSqlCommentValue,
  hasSqlComment,
  MAX_SQL_COMMENT_VALUE_LENGTH,
  SqlCommentPlacement,
} from './sql-comment.js'
export type { SqlCommentOptions } from './sql-comment.js'
export { wrapQuery } from './query-wrapper.js'
export type { WrapQueryOptions } from './query-wrapper.js'
export { instrumentPg } from './instrument-pg.js'
export type { InstrumentPgOptions } from './instrument-pg.js'
export { instrumentMysql2 } from './instrument-mysql2.js'
export type { InstrumentMysql2Options } from './instrument-mysql2.js'
export { instrumentOutboundHttp } from './outbound-http.js'
export type { OutboundHttpOptions } from './outbound-http.js'
export { traceIdFor, traceparentFor } from './trace-context.js'
export { pinoMixin, childLogger, consoleLogger, logFields } from './logging.js'
export type { LogFieldsOptions, ConsoleLikeLogger } from './logging.js'
export { StatsError, StatsErrorCode } from './errors.js'
export { StatsMode } from './types.js'
export type { Stats, StatsOptions, MetricTags } from './types.js'
