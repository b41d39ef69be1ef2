import { Card } from '@/components/ui/Card'
import type { BillingOverview } from '@/lib/api/types'
import { meterValue, periodDay, periodRange } from '../utils/format'
import { MeterLine, MeterRow } from './MeterRow'

/** This period's usage: meters in use up front, the rest folded away. */
export function UsageCard({ overview }: { overview: BillingOverview }) {
  const alerted = new Set(overview.alerts.map((a) => a.meter))
  const inUse = overview.usage.filter((u) => meterValue(u) > 0 || u.used > 0 || alerted.has(u.meter))
  const idle = overview.usage.filter((u) => !inUse.includes(u))

  return (
    <Card
      title="Usage this period"
      description={`${periodRange(overview.period_start, overview.period_end)} · counts start again on ${periodDay(overview.period_end)}`}
    >
      <div className="stack">
        {inUse.length > 0 ? (
          <div className="meter-grid">
            {inUse.map((u) => (
              <MeterRow key={u.meter} usage={u} currency={overview.currency} />
            ))}
          </div>
        ) : (
          <p className="muted">Nothing used yet this period.</p>
        )}
        {idle.length > 0 ? (
          <details className="disclosure">
            <summary>
              {inUse.length > 0 ? 'Other meters' : 'All meters'} ({idle.length}), nothing used yet
            </summary>
            <ul className="meter-lines">
              {idle.map((u) => (
                <MeterLine key={u.meter} usage={u} />
              ))}
            </ul>
          </details>
        ) : null}
      </div>
    </Card>
  )
}
