import { Card } from '@/components/ui/Card'
import { Icon } from '@/components/ui/Icon'
import type { AlertView, MeterUsage } from '@/lib/api/types'
import { formatQuantity, localDate, METER_LABEL } from '../utils/format'

/** The 80 % and 100 % alerts emailed this period, newest first. */
export function AlertsCard({ alerts, usage }: { alerts: AlertView[]; usage: MeterUsage[] }) {
  const byMeter = new Map(usage.map((u) => [u.meter, u]))
  return (
    <Card title="Alerts this period" description="Owners get an email when a meter reaches 80 % and 100 % of what the plan includes.">
      {alerts.length === 0 ? (
        <p className="muted">No alerts sent this period.</p>
      ) : (
        <ul className="alert-list">
          {alerts.map((a) => {
            const u = byMeter.get(a.meter)
            return (
              <li key={`${a.meter}-${a.threshold}`} className={a.threshold >= 100 ? 'alert-item is-full' : 'alert-item'}>
                <span className="alert-item-icon">
                  <Icon name="bell" size={16} />
                </span>
                <span className="alert-item-text">
                  <span className="strong">
                    {METER_LABEL[a.meter]}: {a.threshold >= 100 ? 'allowance used up' : `${a.threshold} % of the allowance used`}
                  </span>
                  <span className="muted">
                    {/* The allowance then may not be today's (the plan can have changed since). */}
                    {u ? formatQuantity(a.used, u.unit, u.meter) : a.used.toLocaleString()} used then · emailed{' '}
                    {localDate(a.at)}
                  </span>
                </span>
              </li>
            )
          })}
        </ul>
      )}
    </Card>
  )
}
