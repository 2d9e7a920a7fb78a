/** A fenced TypeScript block of a Markdown file. */
export interface Snippet {
  file: string
  /** Line of the opening fence (1-based): the snippet's first line is `line + 1`. */
  line: number
  code: string
  /** Marked with `<!-- snippet: skip (why) -->` on the line before the fence. */
  skipped: boolean
}

/** The marker that excludes a fragment that cannot compile on its own. */
export const SKIP_MARKER = /<!--\s*snippet:\s*skip\b[^>]*-->/

/** Extracts every ```ts / ```typescript block of `text`. */
export function extractSnippets(file: string, text: string): Snippet[] {
  const lines = text.split('\n')
  const snippets: Snippet[] = []
  for (let index = 0; index < lines.length; index++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index] ?? '')) continue
    const start = index
    const body: string[] = []
    for (index++; index < lines.length && !/^```\s*$/.test(lines[index] ?? ''); index++) body.push(lines[index] ?? '')
    snippets.push({ file, line: start + 1, code: body.join('\n'), skipped: SKIP_MARKER.test(lines[start - 1] ?? '') })
  }
  return snippets
}
