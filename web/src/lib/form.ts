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
