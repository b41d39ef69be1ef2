import type { PlanRevenue, PlatformOverview, TrialConversions } from '@/lib/api/types'

const FALLBACK_NAMES: Record<string, string> = { free: 'Free', trial: 'Trial' }

/**
 * Plan names by key. Past-due and usage rows name a plan by its key; every plan a workspace
 * is on has a row in the overview, so the names come from there.
 */
export function planNamer(overview: PlatformOverview | undefined): (key: string) => string {
  const names = new Map((overview?.plans ?? []).map((p) => [p.plan, p.name]))
  return (key) => names.get(key) ?? FALLBACK_NAMES[key] ?? key.charAt(0).toUpperCase() + key.slice(1)
}

/** Workspaces that bring in money: on a priced plan and active or past due (restricted ones pay nothing now). */
export function payingWorkspaces(plans: readonly PlanRevenue[]): number {
  return plans.filter((p) => p.price_cents > 0).reduce((n, p) => n + p.active + p.past_due, 0)
}

export function workspacesOn(plan: PlanRevenue): number {
  return plan.active + plan.trialing + plan.past_due + plan.restricted
}

export function convertedTotal(trials: TrialConversions): number {
  return Object.values(trials.converted).reduce((a, b) => a + b, 0)
}

/** "67 %", or null when no trial ended in the window. */
export function percentText(ratio: number | null | undefined): string | null {
  return ratio == null ? null : `${Math.round(ratio * 100)} %`
}

export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`
}

/** "2 converted, 1 lapsed in the last 90 days". */
export function trialOutcome(trials: TrialConversions): string {
  return `${convertedTotal(trials).toLocaleString()} converted, ${trials.lapsed.toLocaleString()} lapsed in the last ${trials.days} days`
}

// Periods are calendar months in UTC, so they are named in UTC; moments show in local time.
const monthYear = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' })
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', timeZone: 'UTC' })
const localDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' })

function parse(iso: string): Date | null {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? null : new Date(t)
}

/** "October 2026" for a period's first instant. */
export function periodMonth(iso: string): string {
  const d = parse(iso)
  return d ? monthYear.format(d) : iso
}

/** "1 November" for a period's first instant. */
export function periodDay(iso: string): string {
  const d = parse(iso)
  return d ? dayMonth.format(d) : iso
}

/** A moment (overdue since, limits drop) as a date in the viewer's time zone. */
export function localDate(iso: string): string {
  const d = parse(iso)
  return d ? localDay.format(d) : iso
}
