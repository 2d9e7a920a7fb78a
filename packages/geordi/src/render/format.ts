/** `12.3 ms`, `1.23 s`, `0.42 ms`: three significant digits, the unit a reader expects. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

/** `12.3%`; shares under 0.1% keep two decimals so they do not all read `0.0%`. */
export function formatPercent(fraction: number): string {
  const percent = fraction * 100
  return percent >= 0.1 || percent === 0 ? `${percent.toFixed(1)}%` : `${percent.toFixed(2)}%`
}

/** Cuts `text` to `max` characters, marking the cut with `…`. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`
}

/** `1.2 kB`, `3.4 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
