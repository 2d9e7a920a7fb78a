import { findSourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { CapturedFrame } from './report-builder.js'

type Position = Pick<CapturedFrame, 'url' | 'line' | 'column'>

const LOCATION = /\(([^()]*):(\d+):(\d+)\)$|^\s*at (?:async )?([^()\s][^()]*):(\d+):(\d+)$/

function parseLocation(line: string): Position | undefined {
  const match = LOCATION.exec(line)
  if (match === null) return undefined
  const [url, row, column] = match[1] !== undefined ? [match[1], match[2], match[3]] : [match[4], match[5], match[6]]
  return url === undefined ? undefined : { url, line: Number(row), column: Number(column) }
}

function filePath(url: string): string {
  try {
    return url.startsWith('file://') ? fileURLToPath(url) : url
  } catch {
    return url
  }
}

function nodeMapped(site: NodeJS.CallSite, file: string): Position | undefined {
  const entry = findSourceMap(file)?.findEntry((site.getLineNumber() ?? 1) - 1, (site.getColumnNumber() ?? 1) - 1) as
    | { originalSource?: string; originalLine?: number; originalColumn?: number }
    | undefined
  if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined
  return { url: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 }
}

/** The current stack as raw call sites and, when the host formats stacks itself, its formatted lines. */
function currentStack(depth: number, custom: typeof Error.prepareStackTrace): { sites: NodeJS.CallSite[]; lines: string[] | undefined } {
  let sites: NodeJS.CallSite[] = []
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = depth
  Error.prepareStackTrace = (error, callSites) => {
    sites = callSites
    return custom === undefined ? '' : custom(error, callSites)
  }
  let stack: string
  try {
    stack = String(new Error('dogslow').stack)
  } finally {
    Error.prepareStackTrace = custom
    Error.stackTraceLimit = limit
  }
  if (custom === undefined) return { sites, lines: undefined }
  const lines = stack.split('\n').filter((line) => /^\s+at /.test(line))
  // Only a formatter that writes one line per call site can be read back site by site.
  return { sites, lines: lines.length === sites.length ? lines : undefined }
}

/**
 * Maps the positions the inspector reports (those of the code that runs: transpiled or bundled
 * JavaScript) to the ones the app's own stack traces show, so a blocked frame and an operation's
 * stack name the same file and line. It runs in the paused main thread: the stack there still
 * holds the blocked frames, and the host's stack formatting (`--enable-source-maps`,
 * source-map-support, a test runner) maps them as it maps any `Error.stack`. Without such
 * formatting the positions are already the source's, and nothing is done.
 */
export function sourcePositions(frames: CapturedFrame[]): CapturedFrame[] {
  const custom = Error.prepareStackTrace
  const nodeMaps = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true
  if (frames.length === 0 || (custom === undefined && !nodeMaps)) return frames
  try {
    const { sites, lines } = currentStack(frames.length * 2 + 20, custom)
    if (custom !== undefined && lines === undefined) return frames
    let cursor = 0
    return frames.map((frame) => {
      const path = filePath(frame.url)
      for (let k = cursor; k < sites.length; k++) {
        const site = sites[k] as NodeJS.CallSite
        const file = site.getFileName()
        if (file === undefined || file === null || site.getLineNumber() !== frame.line || site.getColumnNumber() !== frame.column || filePath(file) !== path) continue
        cursor = k + 1
        const mapped = lines === undefined ? nodeMapped(site, file) : parseLocation(lines[k] ?? '')
        return mapped === undefined ? frame : { ...frame, ...mapped }
      }
      return frame
    })
  } catch {
    return frames
  }
}
