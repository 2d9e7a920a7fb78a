import { fileURLToPath } from 'node:url'
import { packageOf, sourceKind } from '@intro/core'
import type { ReportCulprit } from './types.js'

/** One `at …` line of a V8 stack, parsed. */
export interface StackLine {
  functionName: string
  file: string
  line: number
  column: number
}

const WITH_NAME = /^\s*at (?:async )?(.*?) \((.*):(\d+):(\d+)\)$/
const BARE = /^\s*at (?:async )?(.*):(\d+):(\d+)$/

/** Parses `    at fn (file:1:2)` / `    at file:1:2` / `    at async fn (…)`; other lines give `undefined`. */
export function parseStackLine(text: string): StackLine | undefined {
  const named = WITH_NAME.exec(text)
  if (named !== null) return { functionName: named[1] ?? '', file: named[2] ?? '', line: Number(named[3]), column: Number(named[4]) }
  const bare = BARE.exec(text)
  if (bare !== null) return { functionName: '', file: bare[1] ?? '', line: Number(bare[2]), column: Number(bare[3]) }
  return undefined
}

/** What a folded run of frames is called: package names, `node` for Node's own, `intro` for the toolkit's. */
function ownerName(file: string): string {
  const kind = sourceKind(file)
  if (kind === 'node') return 'node'
  if (kind === 'intro') return 'intro'
  return packageOf(file) ?? 'library'
}

function foldLine(owners: string[]): string {
  const names = [...new Set(owners)]
  return `… ${owners.length} frame${owners.length === 1 ? '' : 's'} in ${names.join(', ')}`
}

/**
 * Keeps a stack's app frames and folds each run of other frames (libraries, Node, the toolkit)
 * into one line (`… 14 frames in router, express`): a router's twenty frames tell nothing, and
 * they pushed the app's line out of reach. Innermost first, at most `maxLines` lines.
 */
export function foldStack(lines: readonly string[], maxLines: number): string[] {
  const out: string[] = []
  let run: string[] = []
  const flush = () => {
    if (run.length > 0) out.push(foldLine(run))
    run = []
  }
  for (const text of lines) {
    const trimmed = text.trim()
    if (trimmed === '') continue
    const parsed = parseStackLine(trimmed)
    // `at async Promise.all (index 0)` and the like have no file: Node's own.
    if (parsed === undefined ? trimmed.startsWith('at ') : sourceKind(parsed.file) !== 'app') {
      run.push(parsed === undefined ? 'node' : ownerName(parsed.file))
      continue
    }
    flush()
    if (out.length >= maxLines) break
    out.push(trimmed)
  }
  if (out.length < maxLines) flush()
  return out
}

/** A path to paste into an editor: ES modules' frames name `file://` URLs. */
function displayPath(file: string): string {
  if (!file.startsWith('file://')) return file
  try {
    return fileURLToPath(file)
  } catch {
    return file
  }
}

/** The innermost app frame of a parsed stack (innermost first), as a culprit. */
export function innermostApp(frames: Iterable<StackLine>, source: ReportCulprit['source']): ReportCulprit | undefined {
  for (const frame of frames) {
    if (sourceKind(frame.file) !== 'app') continue
    return { functionName: frame.functionName, file: displayPath(frame.file), line: frame.line, column: frame.column, source }
  }
  return undefined
}

/** Parses every frame line of a stack text (innermost first). */
export function parseStack(text: string): StackLine[] {
  const frames: StackLine[] = []
  for (const line of text.split('\n')) {
    const parsed = parseStackLine(line)
    if (parsed !== undefined) frames.push(parsed)
  }
  return frames
}

/** True when a stack holds no app frame and some of the toolkit's own: the toolkit's work, not the request's. */
export function isOwnWork(frames: readonly StackLine[]): boolean {
  let own = false
  for (const frame of frames) {
    const kind = sourceKind(frame.file)
    if (kind === 'app') return false
    if (kind === 'intro') own = true
  }
  return own
}
