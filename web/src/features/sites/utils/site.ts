/** Pure helpers for the Sites pages: addresses, slugs, paths, services. */

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/
export const PATH_PATTERN = /^\/$|^(\/[a-z0-9][a-z0-9-]*)+$/
export const MAX_SERVICES = 12
export const MAX_SERVICE_LENGTH = 80

/** "rosie-bakes.example.com" from "https://rosie-bakes.example.com/". */
export function hostOf(url: string): string {
  try {
    const u = new URL(url)
    return u.host + (u.pathname === '/' ? '' : u.pathname)
  } catch {
    return url
  }
}

/** The part after the slug in a site's address ("example.com"), when one site is known. */
export function baseDomainOf(url: string, slug: string): string | undefined {
  const host = hostOf(url)
  return host.startsWith(`${slug}.`) ? host.slice(slug.length + 1) : undefined
}

/** A subdomain suggestion from a name, the way the server derives one: "Rosie's Bakes" → "rosies-bakes". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '')
}

/** "/about-us" from "About us"; the home page is "/". */
export function pathFromTitle(title: string): string {
  const slug = slugify(title).slice(0, 99)
  return slug ? `/${slug}` : ''
}

/** One service a line; blank lines dropped. */
export function parseServices(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
}

export function servicesProblem(services: readonly string[]): string | undefined {
  if (services.length > MAX_SERVICES) return `List at most ${MAX_SERVICES} services (you have ${services.length}).`
  const long = services.find((s) => s.length > MAX_SERVICE_LENGTH)
  if (long) return `Keep each service to ${MAX_SERVICE_LENGTH} characters: "${long.slice(0, 24)}…" is longer.`
  return undefined
}

export function slugProblem(slug: string): string | undefined {
  if (!slug) return undefined
  if (slug.length < 3 || slug.length > 63) return 'Use 3 to 63 characters.'
  if (!SLUG_PATTERN.test(slug)) return 'Use lowercase letters a–z, digits and hyphens, not starting or ending with a hyphen.'
  return undefined
}

export function pathProblem(path: string): string | undefined {
  if (!path) return 'Enter the page’s path, like /about.'
  if (path.length > 100) return 'Use at most 100 characters.'
  if (!PATH_PATTERN.test(path)) return 'Start with / and use lowercase letters, digits and hyphens, like /about or /services/cakes.'
  return undefined
}

/** A file name for an export: "rosie-bakes-submissions-2026-11-25.csv". */
export function exportName(slug: string, what: string, now: Date = new Date()): string {
  return `${slug}-${what}-${now.toISOString().slice(0, 10)}.csv`
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

export function editorPath(site: string, page: string): string {
  return `/sites/${site}/pages/${page}/edit`
}
