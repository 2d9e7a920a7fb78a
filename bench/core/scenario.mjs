// Cost of core's request adapter on the smallest possible handler: a `node:http` hello world,
// bare; inside AsyncLocalStorage#run alone (the floor of any tool that carries a request context
// on this Node version); through wrapHandler, idle and with a lifecycle hook on every request;
// and through OpenTelemetry's http instrumentation (a peer that also gives each request a
// context and an id). Each arm is its own process (bench/lib/hello-arm.mjs).
// Target from the issue: the adapter keeps at least 97 % of bare throughput.
import { fileURLToPath } from 'node:url'
import { runHttpScenario, startForkedArm, startOtlpSink } from '../lib/index.mjs'

// One table per Node line: `node run.mjs NAME` under each supported Node (see docs/benchmarks.md).
const major = process.versions.node.split('.')[0]

const helloArm = fileURLToPath(new URL('../lib/hello-arm.mjs', import.meta.url))
const otelRegister = fileURLToPath(new URL('../fullstack/otel-register.mjs', import.meta.url))

const otlp = await startOtlpSink()
const env = {
  OTEL_SERVICE_NAME: 'hello',
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
}
const arm = (name, execArgv = []) => () => startForkedArm({ script: helloArm, args: [name], env, execArgv })

try {
  const result = await runHttpScenario({
    name: `core-node${major}`,
    title: `Core request adapter (node:http), Node ${process.version}`,
    description:
      'A hello-world `node:http` handler, each arm in its own process: bare; inside `AsyncLocalStorage#run` alone ' +
      '(what any tool that carries a request context pays on Node 20: async hooks enabled process-wide); wrapped by ' +
      '`wrapHandler` from `@intro/core` (each request gets a context, a correlation id and the `X-Request-ID` ' +
      'response header); "+ onFinish hook" adds a global `onRequestLifecycle` hook on every request; and ' +
      "OpenTelemetry's zero-code http instrumentation (`@opentelemetry/sdk-node` + `auto-instrumentations-node` limited to http, spans batched over OTLP/HTTP to a local sink).",
    arms: [
      { name: 'bare node:http', start: arm('bare') },
      { name: 'AsyncLocalStorage#run only', start: arm('als') },
      { name: 'wrapHandler (idle)', start: arm('core') },
      { name: 'wrapHandler + onFinish hook', start: arm('core-hook') },
      { name: 'OpenTelemetry http', start: arm('otel', ['--import', otelRegister]) },
    ],
    durationSec: 3,
    rounds: 7,
    connections: 10,
    target: { arm: 'wrapHandler (idle)', minRatio: 0.97, metric: 'cpu', label: 'wrapHandler keeps ≥ 97 % of bare node:http throughput' },
  })
  for (const a of result.arms) {
    console.log(a.median === undefined ? `${a.name}: failed (${a.error})` : `${a.name}: ${a.cpuUsPerRequest} µs CPU/request, ${Math.round(a.median)} req/s`)
  }
  if (otlp.requests === 0) {
    console.error('✗ the OpenTelemetry arm exported no spans')
    process.exitCode = 1
  }
  if (result.arms.some((a) => a.median === undefined)) process.exitCode = 1
} finally {
  await otlp.close()
}
