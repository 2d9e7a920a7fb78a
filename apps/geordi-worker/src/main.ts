#!/usr/bin/env node
// geordi-worker for this repository's deployments. The command ships with @intro/geordi
// (`npx geordi-worker` after `npm install @intro/geordi`); this app only runs it.
import { runWorkerCli } from '@intro/geordi/worker-cli'

process.exit(await runWorkerCli(process.argv.slice(2)))
