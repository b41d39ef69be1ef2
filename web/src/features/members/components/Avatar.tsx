/** Initials in a tinted circle; the tint is stable per email. */
export function Avatar({ email, name }: { email: string; name?: string | null }) {
  const source = (name ?? email).trim()
  const parts = source.split(/[\s@._-]+/).filter(Boolean)
  const initials = ((parts[0]?.[0] ?? '?') + (name ? (parts[1]?.[0] ?? '') : '')).toUpperCase()
  let hash = 0
  for (const ch of email) hash = (hash * 31 + ch.charCodeAt(0)) % 360
  return (
    <span className="avatar" style={{ backgroundColor: `hsl(${hash} 45% 92%)`, color: `hsl(${hash} 40% 32%)` }} aria-hidden="true">
      {initials}
    </span>
  )
}
