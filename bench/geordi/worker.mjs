// A geordi worker process for the scenario: node worker.mjs (env REDIS_URL, GEORDI_OUT_DIR, GEORDI_QUEUE).
import { fileURLToPath } from 'node:url'
import { startGeordiWorker } from '@intro/geordi'

const worker = await startGeordiWorker({ app: fileURLToPath(new URL('./app.mjs', import.meta.url)) })
process.stdout.write('ready\n')
process.on('SIGTERM', () => worker.close().then(() => process.exit(0)))
