import { invalidOption } from './options.js'

/**
 * Unknown-key rejection for options objects: a misspelled option (`authorise`, `prefx`) would
 * otherwise be ignored in silence and its default used — the worst kind of configuration
 * mistake, because nothing says it happened.
 */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length] as number
}

/** The known name closest to `key` (case-insensitive, edit distance ≤ 2 or a third of its length). */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const name of known) {
    const d = distance(lower, name.toLowerCase())
    if (d < bestDistance) {
      best = name
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

/**
 * Throws a `TypeError` (`ERR_INTRO_INVALID_OPTION`) for the first own key of `options` that is
 * not in `known`, with a "did you mean" hint. `where` names the object (`'createGeordi options'`,
 * `'limits'`).
 */
export function rejectUnknownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const hint = closestName(key, known)
    throw invalidOption(TypeError, `Unknown option \`${key}\` in ${where}${hint === undefined ? '' : `; did you mean \`${hint}\`?`}`)
  }
}
