/** Median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Rounds to `digits` significant decimals for the JSON files (raw samples stay readable). */
export function round(value, digits = 3) {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
