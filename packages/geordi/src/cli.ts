#!/usr/bin/env node
import { basename, dirname, extname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { isMainModule } from './is-main-module.js'
import { InvalidProfileError, readCpuProfile, renderProfileReport } from './render/index.js'

const usage = `Usage: geordi-render <file.cpuprofile> [options]

Renders a V8 CPU profile (node --cpu-prof, Chrome DevTools, node:inspector) into a PDF
report (top functions and call graph), an SVG call graph, a copy of the profile, an SVG
flame graph, and the profile in speedscope (.speedscope.json) and pprof (.pb.gz) formats.

Options:
  --out <dir>        Directory for the output files (default: the profile's directory)
  --max-nodes <n>    Most functions drawn in the call graph (default: 80)
  --title <text>     Title on the first page (default: the profile's file name)
  -h, --help         Show this help

Prints the paths of the files written, one per line.
Exit codes: 0 written, 1 the profile could not be read or rendered, 2 bad arguments.`

/** A mistake on the command line: print it with the usage, exit 2. */
class UsageError extends Error {}

interface CliOptions {
  file: string
  outDir: string
  maxNodes: number | undefined
  title: string | undefined
}

function parseMaxNodes(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`--max-nodes expects a positive integer, got "${value}"`)
  }
  return number
}

const cliOptions = {
  out: { type: 'string', short: 'o' },
  'max-nodes': { type: 'string' },
  title: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

function parseCli(argv: string[]): CliOptions | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof cliOptions }>>
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: cliOptions })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  if (parsed.values.help) return 'help'
  const [file, ...extra] = parsed.positionals
  if (file === undefined) throw new UsageError('missing the .cpuprofile file to render')
  if (extra.length > 0) throw new UsageError(`expected one profile, got ${parsed.positionals.length}`)
  return {
    file: resolve(file),
    outDir: resolve(parsed.values.out ?? dirname(resolve(file))),
    maxNodes: parseMaxNodes(parsed.values['max-nodes']),
    title: parsed.values.title,
  }
}

async function render(options: CliOptions): Promise<string[]> {
  const profile = await readCpuProfile(options.file)
  const name = basename(options.file, extname(options.file))
  const result = await renderProfileReport({
    profile,
    profileFile: options.file,
    outDir: options.outDir,
    baseName: name,
    meta: { title: options.title ?? name, source: options.file, createdAt: new Date() },
    ...(options.maxNodes === undefined ? {} : { callGraph: { maxNodes: options.maxNodes } }),
  })
  return [result.pdfPath, result.svgPath, result.profilePath, result.flamePath, result.speedscopePath, result.pprofPath]
}

/** Where {@link main} writes; the process's streams unless a caller captures them. */
export interface CliOutput {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/**
 * Runs `geordi-render` on `argv` (the arguments after the script) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['CPU.20250101.cpuprofile', '--out', 'reports'])
 * ```
 */
export async function main(argv: string[], output: CliOutput = process): Promise<number> {
  let options: CliOptions | 'help'
  try {
    options = parseCli(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    output.stderr.write(`geordi-render: ${error.message}\n\n${usage}\n`)
    return 2
  }
  if (options === 'help') {
    output.stdout.write(`${usage}\n`)
    return 0
  }
  try {
    const paths = await render(options)
    output.stdout.write(`${paths.join('\n')}\n`)
    return 0
  } catch (error) {
    const detail = error instanceof InvalidProfileError ? `not a usable .cpuprofile: ${error.message}` : String(error)
    output.stderr.write(`geordi-render: ${detail}\n`)
    return 1
  }
}

// Run only as the program, not when imported.
if (isMainModule(import.meta.url)) process.exitCode = await main(process.argv.slice(2))
