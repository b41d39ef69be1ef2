import type { MeterForecast } from '@/lib/api/types'
import { formatAmount, formatMoney, formatQuantity, isLevel, lastDayOf, nounOf, periodDay } from './format'

/** Whether a meter is worth a sentence: it is being used, or is heading somewhere. */
export function forecastWorthShowing(m: MeterForecast): boolean {
  return m.used > 0 || m.expected >= 0.5
}

/**
 * One meter's projection in words, e.g. "By 30 November you will likely have used about 560 AI
 * questions (80 % likely between 540 and 580); your plan includes 500, so expect about $1.20 in
 * overage."
 */
export function forecastSentence(m: MeterForecast, periodEnd: string, currency: string): string {
  const noun = nounOf(m.unit, m.meter)
  const day = lastDayOf(periodEnd)
  const amount = (v: number) => formatAmount(v, m.unit)
  const range = m.low80 === m.high80 ? '' : ` (80 % likely between ${amount(m.low80)} and ${amount(m.high80)})`
  const included = m.included ?? null
  const reaches = m.reaches_limit_on ? periodDay(m.reaches_limit_on) : null

  if (m.method === 'insufficient') {
    return `${formatQuantity(m.used, m.unit, m.meter)} so far. It's too early in the month to say where this is heading.`
  }

  const level = isLevel(m.meter)
  const steady = level && Math.abs(m.expected - m.used) <= Math.max(0.5, m.used * 0.005) && !range
  const opening = steady
    ? `${formatQuantity(m.used, m.unit, m.meter)} now, and likely the same on ${day}`
    : level
      ? `On ${day} you will likely be at about ${formatQuantity(m.expected, m.unit, m.meter)}${range}`
      : `By ${day} you will likely have used about ${formatQuantity(m.expected, m.unit, m.meter)}${range}`

  if (m.limit === 'unlimited' || included === null) return `${opening}. Your plan has no limit on ${noun}.`

  if (m.limit === 'soft') {
    if (m.expected > included) {
      // The server prices it by the plan's tiers: one rule, in one place.
      const cents = m.expected_overage_cents
      const cost = cents > 0 ? `expect about ${formatMoney(cents, currency)} in overage` : 'expect more use than included, at no extra charge on this plan'
      const when = reaches && m.used <= included ? ` (you will likely pass ${amount(included)} around ${reaches})` : ''
      return `${opening}; your plan includes ${amount(included)}, so ${cost}${when}.`
    }
    return `${opening}, within the ${amount(included)} your plan includes.`
  }

  // A hard limit refuses use beyond it.
  if (m.expected > included || (reaches && m.used < included)) {
    const when = reaches ? ` around ${reaches}` : ''
    const after = isLevel(m.meter)
      ? `adding more ${noun} is refused until you free some up or move to a larger plan`
      : `more ${noun} are refused until the month ends or you move to a larger plan`
    return `${opening}; your plan allows ${amount(included)}, so you will likely reach the limit${when}. After that, ${after}.`
  }
  return `${opening}, within your plan's limit of ${amount(included)}.`
}
