export { requireBinary } from './binaries.js'
export { TestUtilsError, TestUtilsErrorCode } from './errors.js'
export { freePort } from './free-port.js'
export { startHttpServer } from './http.js'
export { rawRequest } from './raw-request.js'
export type { RawRequestOptions } from './raw-request.js'
export { startMysql } from './mysql.js'
export { startPostgres } from './postgres.js'
export { startRedis } from './redis.js'
export { startSmtp } from './smtp.js'
export { startStatsd } from './statsd.js'
export type {
  HttpServer,
  MysqlServer,
  PostgresServer,
  ReceivedMessage,
  RedisServer,
  SmtpServer,
  StartedServer,
  StartMysqlOptions,
  StartOptions,
  StartPostgresOptions,
  StartRedisOptions,
  StartSmtpOptions,
  StartStatsdOptions,
  StatsdServer,
  StatsdSnapshot,
} from './types.js'
