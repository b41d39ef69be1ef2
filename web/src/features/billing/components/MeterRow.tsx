import { Badge } from '@/components/ui/Badge'
import type { MeterUsage } from '@/lib/api/types'
import { formatAmount, formatMoney, formatQuantity, isLevel, METER_LABEL, meterValue, nounOf } from '../utils/format'

function KindBadge({ usage }: { usage: MeterUsage }) {
  if (usage.limit === 'hard') return <Badge>Hard limit</Badge>
  if (usage.limit === 'soft') return <Badge tone="accent">Extra use billed</Badge>
  return <Badge tone="success">Unlimited</Badge>
}

/** One meter against its allowance: a hard limit fills up to a stop, a soft one runs into billed overage. */
export function MeterRow({ usage, currency }: { usage: MeterUsage; currency: string }) {
  const value = meterValue(usage)
  const included = usage.included ?? null
  const label = METER_LABEL[usage.meter]
  const noun = nounOf(usage.unit, usage.meter)
  const over = usage.limit === 'soft' && included !== null && value > included
  // An unlimited meter has no allowance to be close to.
  const ratio =
    usage.limit === 'unlimited' || included === null ? 0 : included > 0 ? value / included : value > 0 ? Infinity : 0
  const tone = usage.limit === 'hard' ? (ratio >= 1 ? 'danger' : ratio >= 0.8 ? 'warning' : 'ok') : over ? 'over' : ratio >= 0.8 ? 'warning' : 'ok'
  // Over a soft allowance the bar shows the included part solid and the overage hatched.
  const solid = over && included !== null ? (included / value) * 100 : Math.min(100, ratio * 100)

  // "1 of 3 members" against a hard limit; "472 of 500 included" against a soft one.
  const figures =
    included === null
      ? formatQuantity(value, usage.unit, usage.meter)
      : usage.limit === 'soft'
        ? `${formatAmount(value, usage.unit)} of ${formatAmount(included, usage.unit)} included`
        : `${formatAmount(value, usage.unit)} of ${formatQuantity(included, usage.unit, usage.meter)}`

  let note: string
  if (usage.limit === 'hard' && included !== null && value >= included) {
    note = `Limit reached: more ${noun} are refused until you move to a larger plan${isLevel(usage.meter) ? ' or free some up' : ' or the month ends'}.`
  } else if (over) {
    note = `${formatQuantity(usage.overage, usage.unit, usage.meter)} over the allowance: ${formatMoney(usage.overage_cents, currency)} so far on this month's invoice.`
  } else if (usage.limit === 'hard' && ratio >= 0.8) {
    note = `Close to the limit: ${formatAmount(Math.max(0, (included ?? 0) - value), usage.unit)} left.`
  } else if (usage.limit === 'soft' && ratio >= 0.8) {
    note = 'Close to the allowance: more is allowed and billed as overage.'
  } else {
    note = usage.description
  }

  return (
    <div className={`meter meter-${tone}`}>
      <div className="meter-head">
        <span className="meter-label">{label}</span>
        <KindBadge usage={usage} />
      </div>
      <p className="meter-figures">
        <span className="strong">{figures}</span>
        {usage.percent != null ? <span className="muted nowrap"> · {Math.round(usage.percent)} %</span> : null}
      </p>
      {included !== null && usage.limit !== 'unlimited' ? (
        <div
          className={`progress meter-bar meter-bar-${usage.limit}`}
          role="progressbar"
          aria-label={`${label}: ${figures}`}
          aria-valuemin={0}
          aria-valuemax={included}
          aria-valuenow={value}
        >
          <span className="progress-bar" style={{ width: `${solid}%` }} />
          {over ? <span className="meter-overage" style={{ width: `${100 - solid}%` }} /> : null}
        </div>
      ) : null}
      <p className="meter-note">{note}</p>
    </div>
  )
}

/** A meter with nothing used, as one line under "Other meters". */
export function MeterLine({ usage }: { usage: MeterUsage }) {
  const included = usage.included ?? null
  const allowance =
    usage.limit === 'unlimited' || included === null
      ? 'Unlimited'
      : included === 0 && usage.limit === 'hard'
        ? 'Not included in this plan'
        : `${formatQuantity(included, usage.unit, usage.meter)}${usage.limit === 'soft' ? ' included' : ' at most'}`
  return (
    <li className="meter-line">
      <span>{METER_LABEL[usage.meter]}</span>
      <span className="muted">
        {formatAmount(meterValue(usage), usage.unit)} used · {allowance}
      </span>
    </li>
  )
}
