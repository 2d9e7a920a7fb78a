// Cost of core's request adapter on the smallest possible handler: a bare
// node:http hello world against the same handler through wrapHandler, idle
// (no subscriber) and reporting (a lifecycle hook on every request).
// Target from the issue: the adapter keeps at least 97 % of bare throughput.
import { createServer } from 'node:http'
import { runHttpScenario } from '../lib/index.mjs'

function hello(_req, res) {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('hello world')
}

function listen(listener) {
  const server = createServer(listener)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((done) => server.close(done)),
      })
    })
  })
}

async function loadCore() {
  try {
    return await import('@intro/core')
  } catch (error) {
    throw new Error(`@intro/core is not built or does not load (${error.message}): run \`pnpm turbo run build\` first`)
  }
}

let finished = 0

const result = await runHttpScenario({
  name: 'core',
  title: 'Core request adapter (node:http)',
  description:
    'A hello-world `node:http` handler, bare and wrapped by `wrapHandler` from `@intro/core` ' +
    '(each request gets a context, a correlation id and the `X-Request-ID` response header); ' +
    '"reporting" adds a global `onRequestLifecycle` hook that runs on every finished request.',
  arms: [
    { name: 'bare node:http', start: () => listen(hello) },
    {
      name: 'wrapHandler (idle)',
      async start() {
        const { wrapHandler } = await loadCore()
        return listen(wrapHandler(hello))
      },
    },
    {
      name: 'wrapHandler + onFinish hook',
      async start() {
        const { onRequestLifecycle, wrapHandler } = await loadCore()
        const unsubscribe = onRequestLifecycle({
          onFinish: () => {
            finished++
          },
        })
        const server = await listen(wrapHandler(hello))
        return {
          url: server.url,
          close: async () => {
            unsubscribe()
            await server.close()
          },
        }
      },
    },
  ],
  durationSec: 2,
  rounds: 7,
  connections: 10,
  target: { arm: 'wrapHandler (idle)', minRatio: 0.97, label: 'wrapHandler keeps ≥ 97 % of bare node:http throughput' },
})

for (const arm of result.arms) {
  console.log(
    arm.median === undefined
      ? `${arm.name}: failed (${arm.error})`
      : `${arm.name}: ${arm.median} req/s (${(arm.ratio * 100).toFixed(1)} % of baseline)`,
  )
}
if (finished === 0 && result.arms[2]?.median !== undefined) throw new Error('the onFinish hook never ran')
if (result.arms.some((arm) => arm.median === undefined)) process.exitCode = 1
