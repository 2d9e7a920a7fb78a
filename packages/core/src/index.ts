// The declarations use Node's types (node:http, NodeJS.*, AbortSignal): a consumer compiling with `"types": []` still gets them.
/// <reference types="node" preserve="true" />
export { ErrorCodes, IntroError } from './errors.js'
export type { IntroErrorOptions } from './errors.js'
export { DIAGNOSTICS_CHANNEL, onDiagnostic, reportDiagnostic, safeExecute } from './diagnostics.js'
export type { DiagnosticEvent, DiagnosticLevel } from './diagnostics.js'
export {
  createCorrelationId,
  isValidRequestId,
  resolveInboundId,
  traceIdFromCorrelationId,
  traceIdFromTraceparent,
} from './correlation-id.js'
export { RequestContext, bindContext, getContext, inFlightRequests, runInContext, runOutsideContext, runWithContext } from './context.js'
export type { RequestContextInit } from './context.js'
export { Operation, onOperation, startOperation, trackOperation } from './operations.js'
export type { OperationHandle, OperationListener } from './operations.js'
export { onRequestLifecycle } from './lifecycle.js'
export { wrapHandler, instrumentServer } from './adapters/node-http.js'
export { expressMiddleware } from './adapters/express.js'
export { fastifyPlugin } from './adapters/fastify.js'
export type { FastifyPlugin } from './adapters/fastify.js'
export { createGenReqId, genReqId } from './adapters/fastify-request-id.js'
export type { GenReqIdOptions } from './adapters/fastify-request-id.js'
export { koaMiddleware } from './adapters/koa.js'
export { preservePgContext } from './adapters/pg.js'
export type { PgModuleLike } from './adapters/pg.js'
export { looksLikeCredential, redactHeaderValue, redactHeaders, redactText, redactValue } from './redact.js'
export { redactUrl } from './redact-url.js'
export { DEFAULT_SECRET_KEYS, REDACTED, secretKeyMatcher } from './secret-keys.js'
export type { RedactOptions } from './secret-keys.js'
export {
  assertIntegerInRange,
  assertOptionalFunction,
  assertPositiveNumber,
  describeValue,
  envBoolean,
  envList,
  envPort,
  envPositiveNumber,
  envString,
  invalidOption,
} from './options.js'
export {
  MAX_TIMER_MS,
  checkBoolean,
  checkDurationMs,
  checkEnum,
  checkFunction,
  checkInteger,
  checkNumber,
  checkObject,
  checkString,
  optional,
} from './option-checks.js'
export type { NumberBounds, StringRules } from './option-checks.js'
export { closestName, rejectUnknownKeys } from './option-keys.js'
export { CORE_STATE_KEY } from './global-state.js'
export {
  addOutboundHeaders,
  addSqlRewriter,
  autoInstrumented,
  enableIntegrations,
  instrumentChildProcess,
  instrumentFetch,
  instrumentFsReads,
  instrumentHttpClient,
  instrumentIoredis,
  instrumentMysql2,
  instrumentPg,
  isWrapped,
  recordOperations,
  statementKind,
  unwrapMethod,
  wrapMethod,
} from './integrations/index.js'
export type { IntegrationName, IntegrationOptions, OutboundHeaders, SqlCall, SqlRewriter } from './integrations/index.js'
export { ownSourceDirs, packageOf, registerOwnSource, sourceKind } from './own-sources.js'
export type { SourceKind } from './own-sources.js'
export type {
  AbortInfo,
  AdapterOptions,
  ContextInit,
  FinishInfo,
  LifecycleHooks,
  OperationEndInfo,
  OperationInit,
} from './types.js'
