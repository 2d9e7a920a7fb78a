// Loaded with `node --import` in the OpenTelemetry arm, before the app: the usual way to run
// zero-code instrumentation. The ESM hook (import-in-the-middle) is registered so that the
// app's `import pg from 'pg'` is instrumented too, then the SDK starts with the auto
// instrumentations limited to http and pg (OTEL_NODE_ENABLED_INSTRUMENTATIONS) and exports
// spans over OTLP/HTTP to the sink the scenario runs (OTEL_* variables set by the scenario).
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(require.resolve('@opentelemetry/auto-instrumentations-node')))

const { NodeSDK } = await import('@opentelemetry/sdk-node')
const { getNodeAutoInstrumentations } = await import('@opentelemetry/auto-instrumentations-node')

// No resource detectors: the cloud ones probe metadata addresses outside this machine.
const sdk = new NodeSDK({ instrumentations: getNodeAutoInstrumentations(), resourceDetectors: [] })
sdk.start()
globalThis.__benchOtelShutdown = () => sdk.shutdown()
