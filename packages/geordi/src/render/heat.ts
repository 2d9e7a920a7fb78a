// gprof2dot's default "color" theme: hue runs from dark blue (cold) to red (hot) while
// saturation and lightness rise, so the hot path stands out even printed in greyscale.
const cold = { h: 2 / 3, s: 0.8, l: 0.25 }
const hot = { h: 0, s: 1, l: 0.5 }
// gprof2dot raises the weight to 1/2.2 so that a 5% function is already visibly warm.
const gamma = 2.2

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const m2 = l <= 0.5 ? l * (s + 1) : l + s - l * s
  const m1 = l * 2 - m2
  const hue = (value: number) => {
    const x = value < 0 ? value + 1 : value > 1 ? value - 1 : value
    if (x * 6 < 1) return m1 + (m2 - m1) * x * 6
    if (x * 2 < 1) return m2
    if (x * 3 < 2) return m1 + (m2 - m1) * (2 / 3 - x) * 6
    return m1
  }
  return [hue(h + 1 / 3), hue(h), hue(h - 1 / 3)]
}

const hex = (channel: number) =>
  Math.round(Math.min(1, Math.max(0, channel)) * 255)
    .toString(16)
    .padStart(2, '0')

/** Colour (`#rrggbb`) for a share of the profile between 0 and 1: blue when cold, red when hot. */
export function heatColor(fraction: number): string {
  const weight = Math.min(1, Math.max(0, fraction)) ** (1 / gamma)
  const [r, g, b] = hslToRgb(
    cold.h + weight * (hot.h - cold.h),
    cold.s + weight * (hot.s - cold.s),
    cold.l + weight * (hot.l - cold.l),
  )
  return `#${hex(r)}${hex(g)}${hex(b)}`
}

/** Line width for an edge carrying this share of the time: 1 (thin) to 6 (the hot path). */
export const heatPenWidth = (fraction: number): number =>
  Math.round((1 + 5 * Math.min(1, Math.max(0, fraction)) ** (1 / gamma)) * 10) / 10

/** Black or white, whichever reads better on `background` (`#rrggbb`), by WCAG relative luminance. */
export function textColorOn(background: string): string {
  const channel = (offset: number) => {
    const value = Number.parseInt(background.slice(offset, offset + 2), 16) / 255
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4
  }
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
  // White on black has contrast 21, so the crossover where both give equal contrast is ~0.179.
  return luminance > 0.179 ? '#000000' : '#ffffff'
}
