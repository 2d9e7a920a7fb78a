import { parseArgs } from 'node:util'
import { defaultOutDir } from './output-dir.js'

export interface CliOptions {
  /** Stay up with the landing page instead of driving the scenarios. */
  serve: boolean
  /** Port of the app in `--serve` mode (0: a free one). */
  port: number
  /** Print the summary as JSON on stdout. */
  json: boolean
  outDir: string
  help: boolean
}

export const USAGE = `Usage: node apps/demo/dist/main.js [--serve [--port N]] [--json] [--out DIR]

Starts the instrumented news-feed app with embedded PostgreSQL and a StatsD daemon, drives
every scenario over HTTP and prints a summary (default), or stays up for a browser (--serve).

  --serve       keep the app up with a landing page linking every scenario
  --port N      port for --serve (default 3000; 0 picks a free one)
  --json        print the summary as JSON instead of text
  --out DIR     output folder (default apps/demo/out; cleared at start)

Environment: DATABASE_URL uses that PostgreSQL instead of the embedded one;
REDIS_URL makes geordi queue profiling jobs on BullMQ instead of profiling inline.`

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      serve: { type: 'boolean', default: false },
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  const port = values.port === undefined ? 3000 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Expected --port to be a port number, got \`${values.port}\``)
  return { serve: values.serve, port, json: values.json, outDir: values.out ?? defaultOutDir, help: values.help }
}
