import { FunctionKinds, type CpuProfileCallFrame, type FunctionKind } from './types.js'

/** V8's synthetic frames; `(root)` is the tree's root and never becomes a function. */
const syntheticKinds: Record<string, FunctionKind | 'root'> = {
  '(root)': 'root',
  '(program)': FunctionKinds.program,
  '(idle)': FunctionKinds.idle,
  '(garbage collector)': FunctionKinds.garbageCollector,
}

/** Classifies a call frame: ordinary JS, native (no script), or one of V8's synthetic frames. */
export function frameKind(frame: CpuProfileCallFrame): FunctionKind | 'root' {
  if (frame.url === '') {
    const synthetic = syntheticKinds[frame.functionName]
    if (synthetic) return synthetic
    if (frame.lineNumber < 0) return FunctionKinds.native
  }
  return FunctionKinds.function
}

function pathOf(url: string): string {
  if (url.startsWith('file://') || url.startsWith('http://') || url.startsWith('https://')) {
    try {
      return decodeURIComponent(new URL(url).pathname)
    } catch {
      return url
    }
  }
  return url
}

/**
 * Shortens a script URL for a label: `node:` modules stay whole, files inside `node_modules`
 * keep the package name and the last two segments, other files their last two segments.
 */
export function shortFile(url: string): string {
  if (url.startsWith('node:')) return url
  const path = pathOf(url).replaceAll('\\', '/')
  const segments = path.split('/').filter((segment) => segment !== '')
  const modules = segments.lastIndexOf('node_modules')
  if (modules >= 0 && modules + 1 < segments.length) {
    const scoped = segments[modules + 1]!.startsWith('@') ? 2 : 1
    const pkg = segments.slice(modules + 1, modules + 1 + scoped)
    const rest = segments.slice(modules + 1 + scoped)
    const tail = rest.length > 2 ? ['…', ...rest.slice(-2)] : rest
    return [...pkg, ...tail].join('/')
  }
  return segments.slice(-2).join('/') || url
}

/** `file:line` for a frame (1-based line), `native` when V8 gives no script. */
export function frameLocation(frame: CpuProfileCallFrame): string {
  if (frame.url === '') return frame.lineNumber >= 0 ? `eval:${frame.lineNumber + 1}` : 'native'
  return frame.lineNumber >= 0 ? `${shortFile(frame.url)}:${frame.lineNumber + 1}` : shortFile(frame.url)
}

/** The name shown for a frame; V8 leaves anonymous functions unnamed. */
export const frameName = (frame: CpuProfileCallFrame): string => frame.functionName || '(anonymous)'

/** Identity of a function across call sites. The column separates closures on one minified line. */
export const frameKey = (frame: CpuProfileCallFrame): string =>
  `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}`
