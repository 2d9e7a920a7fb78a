/**
 * `npm run demo`: starts the instrumented news-feed app with embedded PostgreSQL and a StatsD
 * daemon, drives every scenario over real HTTP, and prints what intro saw. `--serve` keeps the
 * app up for a browser instead.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { USAGE, parseCli } from './cli.js'
import { failedChecks } from './driver/checks.js'
import { collectCow, collectDogslow, collectGeordi, collectSql, collectStatsd } from './driver/collect.js'
import { type ScenarioResult, driveScenarios } from './driver/drive.js'
import { readText, waitFor } from './driver/files.js'
import { formatSummary } from './driver/print.js'
import { Progress } from './driver/progress.js'
import type { DemoSummary } from './driver/summary.js'
import { type OutputDirs, displayPath, prepareOutputDirs } from './output-dir.js'
import { SCENARIOS } from './scenarios.js'
import { type Stack, stackSteps, startStack } from './stack.js'

async function serve(dirs: OutputDirs, port: number): Promise<void> {
  const stack = await startStack({ dirs, port, onStep: (label) => process.stderr.write(`› ${label}…\n`) })
  process.stdout.write(
    `\nThe demo app is up: ${stack.appUrl}/\n` +
      `Open it in a browser; every scenario is linked from the landing page.\n` +
      `Reports, profiles and logs go to ${displayPath(dirs.root)}/. Ctrl-C stops everything.\n`,
  )
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  process.stderr.write('\n› stopping…\n')
  await stack.stop()
}

/**
 * Waits for a StatsD flush that includes everything the app sent: the app's client buffers for
 * up to 200 ms and the daemon flushes once a second, so a flush stamped a second after the last
 * request (statsd rounds its timestamps to the second) carries the last metrics.
 */
async function waitForFlush(stack: Stack, lastRequestAt: number): Promise<void> {
  if (stack.statsd.mode === 'capture') {
    await new Promise((resolve) => setTimeout(resolve, 500))
    return
  }
  const after = Math.ceil((lastRequestAt + 1000) / 1000)
  await waitFor(() => {
    const stamps = readText(stack.statsd.flushLogPath)
      .split('\n')
      .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))
    return stamps.some((stamp) => stamp >= after) ? true : undefined
  }, 5000)
}

function summarize(dirs: OutputDirs, stack: Stack, results: ScenarioResult[], durationMs: number): DemoSummary {
  const partial = {
    durationMs,
    outDir: dirs.root,
    appUrl: stack.appUrl,
    scenarios: results.map((r) => ({
      key: r.key,
      label: r.label,
      path: r.path,
      statuses: r.requests.map((q) => q.status),
      requestIds: r.requests.map((q) => q.requestId).filter((id): id is string => id !== undefined),
      slowestMs: Math.max(0, ...r.requests.map((q) => q.durationMs)),
      ...(r.problem === undefined ? {} : { problem: r.problem }),
    })),
    dogslow: collectDogslow(dirs, results),
    cow: collectCow(results),
    statsd: collectStatsd(stack),
    sql: collectSql(stack, results),
    geordi: collectGeordi(dirs, results),
    logs: { app: stack.appLogPath, database: stack.database.sqlLogPath, statsd: stack.statsd.flushLogPath },
  }
  const failures = failedChecks(partial)
  return { ok: failures.length === 0, failures, ...partial }
}

async function drive(dirs: OutputDirs, json: boolean): Promise<boolean> {
  const started = performance.now()
  const progress = new Progress(stackSteps() + SCENARIOS.length + 1)
  const stack = await startStack({ dirs, port: 0, onStep: (label) => progress.step(label) })
  let summary: DemoSummary
  try {
    const results = await driveScenarios(stack.appUrl, progress)
    progress.step('waiting for StatsD to flush')
    await waitForFlush(stack, Date.now())
    summary = summarize(dirs, stack, results, performance.now() - started)
  } finally {
    progress.done()
    await stack.stop()
  }
  writeFileSync(join(dirs.root, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  process.stdout.write(`${json ? JSON.stringify(summary, null, 2) : formatSummary(summary)}\n`)
  return summary.ok
}

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2))
  if (options.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const dirs = prepareOutputDirs(options.outDir)
  if (options.serve) {
    await serve(dirs, options.port)
    return 0
  }
  return (await drive(dirs, options.json)) ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 2
  },
)
