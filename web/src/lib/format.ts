const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
const abs = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
]

export function relativeTime(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  let value = (t - now) / 1000
  if (Math.abs(value) < 45) return 'just now'
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return rtf.format(Math.round(value), unit)
    value /= size
  }
  return abs.format(t)
}

export function absoluteTime(iso: string): string {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? iso : abs.format(t)
}

export function shortDate(iso: string): string {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? iso : day.format(t)
}
