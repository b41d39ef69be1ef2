/**
 * How a search engine shows a page in its results. Engines cut titles at about 600 pixels
 * (roughly 60 characters) and descriptions at about 920 pixels (roughly 155 to 160
 * characters), at a word boundary, with an ellipsis.
 */
export const TITLE_LIMIT = 60
export const DESCRIPTION_LIMIT = 158

/** Cuts `text` to at most `limit` characters at a word boundary, with " ..." when cut. */
export function truncate(text: string, limit: number): { text: string; cut: boolean } {
  const clean = text.replace(/\s+/g, ' ').trim()
  if (clean.length <= limit) return { text: clean, cut: false }
  const room = clean.slice(0, limit - 3)
  const space = room.lastIndexOf(' ')
  // A single long word is cut where it must be; otherwise at the last whole word.
  const head = (space > limit * 0.6 ? room.slice(0, space) : room).replace(/[\s.,;:!?–—-]+$/u, '')
  return { text: `${head} ...`, cut: true }
}

/** "rosie-bakes.example.com › services › cakes", the way results show an address. */
export function breadcrumbUrl(siteUrl: string, path: string): string {
  let host = siteUrl
  try {
    host = new URL(siteUrl).host
  } catch {
    // keep what we were given
  }
  const parts = path.split('/').filter(Boolean)
  return [host, ...parts].join(' › ')
}
