const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `16-05-2026 02:10:12 UTC`, the original dogslow's timestamp format. */
export function formatUtc(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getUTCDate())}-${pad(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`
}

/** `20260516T021012.345Z`: sorts by time as text, safe in file names. */
export function fileTimestamp(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`
}

/** `2.013 s` or `850 ms`. */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${Math.round(ms)} ms`
}

/** Cuts `text` to `max` characters, saying how much was cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  return `${text.slice(0, max)}… (${text.length - max} more characters)`
}

/** Keeps only characters safe in a file name. */
export function safeFileToken(text: string, max = 64): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, max) || 'unknown'
}
