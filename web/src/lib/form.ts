/** Reads a trimmed text value from a submitted form. */
export function text(form: FormData, name: string): string {
  const v = form.get(name)
  return typeof v === 'string' ? v.trim() : ''
}

/** Reads a password exactly as typed. */
export function raw(form: FormData, name: string): string {
  const v = form.get(name)
  return typeof v === 'string' ? v : ''
}

export const MIN_PASSWORD = 10
export const MAX_PASSWORD = 1024

/** The client-side password check (the server has the same rule and the final word). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`
  if (password.length > MAX_PASSWORD) return `Use at most ${MAX_PASSWORD.toLocaleString('en')} characters.`
  return undefined
}
export const PASSWORD_HINT = `At least ${MIN_PASSWORD} characters. A short phrase is easy to remember.`

export type FieldErrors = Partial<Record<string, string>>

export function looksLikeEmail(v: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)
}

/** Basic checks before a request; the server has the final word and reports by JSON pointer. */
export function checkRequired(values: Record<string, string>, labels: Record<string, string>): FieldErrors {
  const errors: FieldErrors = {}
  for (const [key, label] of Object.entries(labels)) {
    if (!values[key]) errors[`/${key}`] = `Enter ${label}.`
  }
  return errors
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean)
}
