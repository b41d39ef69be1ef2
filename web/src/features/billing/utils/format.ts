import type { Meter, MeterUsage, Method } from '@/lib/api/types'
import { formatBytes, isLevel } from '@/lib/units'

export { formatAmount, formatBytes, formatMoney, isLevel, METER_LABEL } from '@/lib/units'

/** The noun used in sentences ("560 AI questions"), where the unit alone would be vague. */
const METER_NOUN: Partial<Record<Meter, string>> = {
  ai_queries: 'AI questions',
  ai_tokens: 'AI tokens',
  pages_published: 'published pages',
  ingested_pages: 'knowledge pages',
  messages: 'chat messages',
  api_requests: 'API requests',
  sms: 'text messages',
  push: 'push notifications',
  custom_domains: 'custom domains',
}

/** The value a meter is measured by: the level now for levels, the period's total otherwise. */
export function meterValue(u: MeterUsage): number {
  return isLevel(u.meter) ? u.current : u.used
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 })

function singular(unit: string): string {
  return unit.endsWith('s') ? unit.slice(0, -1) : unit
}

/** The plural noun for a meter's units in a sentence: "AI questions", "members". */
export function nounOf(unit: string, meter?: Meter): string {
  return (meter && METER_NOUN[meter]) ?? unit
}

/** "1 member", "5,367 chat messages", "570 MB". */
export function formatQuantity(value: number, unit: string, meter?: Meter): string {
  if (unit === 'bytes') return formatBytes(value)
  const rounded = Math.round(value)
  const noun = nounOf(unit, meter)
  return `${integer.format(rounded)} ${rounded === 1 ? singular(noun) : noun}`
}

export function formatCompact(value: number, unit: string): string {
  return unit === 'bytes' ? formatBytes(value) : compact.format(value)
}

// Billing periods are calendar months in UTC; shown in UTC so 1 December never reads 30 November.
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', timeZone: 'UTC' })
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
const monthYear = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' })
const localDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' })
const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' })

function parse(iso: string): Date | null {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? null : new Date(t)
}

/** "30 November" for a period boundary or a day (`YYYY-MM-DD`). */
export function periodDay(iso: string): string {
  const d = parse(iso)
  return d ? dayMonth.format(d) : iso
}

export function periodDayYear(iso: string): string {
  const d = parse(iso)
  return d ? dayMonthYear.format(d) : iso
}

/** The last day of a period whose end is exclusive (1 December 00:00 → 30 November). */
export function lastDayOf(periodEnd: string): string {
  const d = parse(periodEnd)
  return d ? dayMonth.format(new Date(d.getTime() - 1)) : periodEnd
}

/** "November 2026", naming a period by its month. */
export function periodMonth(periodStart: string): string {
  const d = parse(periodStart)
  return d ? monthYear.format(d) : periodStart
}

/** "1 – 30 November 2026". */
export function periodRange(start: string, end: string): string {
  const s = parse(start)
  const e = parse(end)
  if (!s || !e) return `${start} – ${end}`
  return `${dayMonth.format(s)} – ${dayMonthYear.format(new Date(e.getTime() - 1))}`
}

/** A moment (trial end, overdue since) as a date in the viewer's own time zone. */
export function localDate(iso: string): string {
  const d = parse(iso)
  return d ? localDay.format(d) : iso
}

/** Chart axis label for a day (`YYYY-MM-DD`): "25 Nov". */
export function axisDay(day: string): string {
  const d = parse(day)
  return d ? shortDay.format(d) : day
}

/** How a forecast was made, in words. */
export const METHOD_LABEL: Record<Method, string> = {
  insufficient: 'Too early to tell: there are not enough days in this period yet.',
  run_rate: 'Projected at the current pace: your average day so far, carried to the end of the month.',
  damped_trend: 'Projected from the trend of the last weeks, flattening towards the end of the month.',
  weekly: 'Projected from the trend with your weekly rhythm (quieter and busier days of the week).',
  level: 'A level such as storage or seats stays where it is unless you change it.',
}

export const METHOD_SHORT: Record<Method, string> = {
  insufficient: 'Too early',
  run_rate: 'Current pace',
  damped_trend: 'Trend',
  weekly: 'Trend + weekly rhythm',
  level: 'Level',
}
