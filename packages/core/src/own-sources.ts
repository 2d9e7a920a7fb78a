import { fileURLToPath } from 'node:url'
import { coreState } from './global-state.js'

/**
 * Directories holding the toolkit's own code (`src/` or `dist/` of each installed package),
 * shared by every copy of core: a report names the app's line that waited, never the wrapper
 * of ours that recorded the wait. Directories, not package roots, so a package's own tests
 * (beside `src/`) still count as app code.
 */
function ownDirs(): Set<string> {
  coreState.ownSourceDirs ??= new Set()
  return coreState.ownSourceDirs
}

function toPath(fileOrUrl: string): string {
  if (!fileOrUrl.startsWith('file://')) return fileOrUrl
  try {
    return fileURLToPath(fileOrUrl)
  } catch {
    return fileOrUrl
  }
}

/**
 * Marks the directory of `moduleUrl` (pass `import.meta.url`) as the toolkit's own code: its
 * frames are never a report's culprit.
 */
export function registerOwnSource(moduleUrl: string): void {
  const path = toPath(new URL('./', moduleUrl).href)
  ownDirs().add(path)
}

registerOwnSource(import.meta.url)

/** What a stack frame's file is: the app's own code, a library, Node itself, or this toolkit. */
export type SourceKind = 'app' | 'library' | 'node' | 'intro'

/** Classifies a frame's file name or URL (as V8 prints it). */
export function sourceKind(fileOrUrl: string): SourceKind {
  if (fileOrUrl === '' || fileOrUrl.startsWith('node:') || fileOrUrl.startsWith('internal/') || !/[/\\]/.test(fileOrUrl)) return 'node'
  const path = toPath(fileOrUrl)
  if (/[/\\]node_modules[/\\]@intro[/\\]/.test(path)) return 'intro'
  for (const dir of ownDirs()) if (path.startsWith(dir)) return 'intro'
  if (/[/\\]node_modules[/\\]/.test(path)) return 'library'
  return 'app'
}

/** The package a library file belongs to (`express`, `@prisma/client`), from its node_modules path. */
export function packageOf(fileOrUrl: string): string | undefined {
  const match = /.*[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(toPath(fileOrUrl))
  return match?.[1]?.replace('\\', '/')
}

/** The directories registered with {@link registerOwnSource}, for a thread that classifies frames itself. */
export function ownSourceDirs(): string[] {
  return [...ownDirs()]
}
