import { ApiError } from '@/lib/api/problem'
import type { Limit, Meter, PlanView } from '@/lib/api/types'
import { isMeter } from '@/lib/units'
import { formatBytes, formatMoney, formatQuantity, METER_LABEL, nounOf } from './format'

type SoftLimit = Extract<Limit, { kind: 'soft' }>

const MICRO = 1_000_000
const GB = 1024 ** 3

/** The meters a plan card shows first; the rest sit behind "All limits". */
export const KEY_METERS: readonly Meter[] = ['seats', 'storage_bytes', 'sites', 'ai_queries', 'messages', 'emails', 'custom_domains']

/** Units the API names per meter; plans carry only limits, so the card needs these to speak. */
export const METER_UNIT: Record<Meter, string> = {
  seats: 'members',
  api_requests: 'requests',
  storage_bytes: 'bytes',
  sites: 'sites',
  pages_published: 'pages',
  ai_queries: 'questions',
  ai_tokens: 'tokens',
  ingested_pages: 'pages',
  messages: 'messages',
  file_bytes: 'bytes',
  emails: 'emails',
  sms: 'messages',
  push: 'notifications',
  custom_domains: 'domains',
}

export { isMeter } from '@/lib/units'

export function limitOf(plan: PlanView, meter: Meter): Limit {
  return plan.limits[meter] ?? { kind: 'unlimited' }
}

/** The price of extra units in a readable batch: "$0.02 each", "$1.00 per 1,000", "$0.10 per GB". */
export function extraPrice(limit: SoftLimit, unit: string, currency: string): string {
  const first = limit.tiers[0]
  const last = limit.tiers[limit.tiers.length - 1]
  const micro = first?.unit_microcents ?? 0
  if (micro === 0 && !(first?.flat_cents ?? 0)) return 'more at no extra charge'
  // Later tiers usually cost less per unit; say so rather than list every tier.
  const lastMicro = last?.unit_microcents ?? micro
  const volume = lastMicro < micro ? ', less in volume' : lastMicro > micro ? ', more in volume' : ''
  // Tiers price whole packages of units (a started gigabyte, say); per unit it is a share of that.
  const pack = Math.max(1, limit.package ?? 1)
  if (unit === 'bytes') return `${formatMoney((micro * GB) / pack / MICRO, currency)} per GB${volume}`
  if (pack > 1) return `${formatMoney(micro / MICRO, currency)} per ${pack.toLocaleString()}${volume}`
  for (const batch of [1, 1000, 1_000_000]) {
    const cents = (micro * batch) / MICRO
    if (cents >= 1 || batch === 1_000_000) {
      const each = batch === 1 ? 'each' : `per ${batch.toLocaleString()}`
      return `${formatMoney(cents, currency)} ${each}${volume}`
    }
  }
  return ''
}

/** One line of a plan card: "Up to 3 members", "500 AI questions included, then $0.02 each". */
export function describeLimit(meter: Meter, limit: Limit, currency: string): string {
  const unit = METER_UNIT[meter]
  const what = unit === 'bytes' ? METER_LABEL[meter].toLowerCase() : nounOf(unit, meter)
  const amount = (n: number) => (unit === 'bytes' ? `${formatBytes(n)} of ${what}` : formatQuantity(n, unit, meter))
  switch (limit.kind) {
    case 'unlimited':
      return `Unlimited ${what}`
    case 'hard':
      return limit.included === 0 ? `No ${what}` : `Up to ${amount(limit.included)}`
    case 'soft':
      return `${amount(limit.included)} included, then ${extraPrice(limit, unit, currency)}`
  }
}

/** Whether moving from one plan to another is an upgrade, by the server's rule. */
export function isUpgrade(from: PlanView, to: PlanView): boolean {
  if (from.key === 'free' || from.key === 'trial') return true
  return to.rank > from.rank || (to.rank === from.rank && to.price_cents > from.price_cents)
}

export interface OverLimit {
  meter: Meter
  current: number
  limit: number
}

/** The meters a refused downgrade names (`downgrade_refused` carries them as `over_limits`). */
export function overLimits(error: unknown): OverLimit[] {
  if (!(error instanceof ApiError)) return []
  const list = error.extensions.over_limits
  if (!Array.isArray(list)) return []
  const result: OverLimit[] = []
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue
    const meter: unknown = Reflect.get(item, 'meter')
    const current: unknown = Reflect.get(item, 'current')
    const limit: unknown = Reflect.get(item, 'limit')
    if (isMeter(meter) && typeof current === 'number' && typeof limit === 'number') result.push({ meter, current, limit })
  }
  return result
}
