export const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
export function textOn(hex: string): '#ffffff' | '#101828' {
  if (!HEX_COLOUR.test(hex)) return '#ffffff'
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
  // Contrast with white is (1.05)/(l+0.05); with near-black about (l+0.05)/0.06.
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.06 ? '#ffffff' : '#101828'
}
