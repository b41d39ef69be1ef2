import { Alert } from '@/components/ui/Alert'
import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { Skeleton } from '@/components/ui/Skeleton'
import type { Forecast, PlanView } from '@/lib/api/types'
import { forecastSentence, forecastWorthShowing } from '../utils/forecast'
import { formatMoney, lastDayOf, METER_LABEL, METHOD_LABEL, METHOD_SHORT } from '../utils/format'

interface ForecastCardProps {
  forecast: Forecast | undefined
  error: unknown
  plan: PlanView
  canChange: boolean
  onConsider: (planKey: string) => void
}

/** Where the month is heading: each meter in words, the month's likely cost, and a better plan if there is one. */
export function ForecastCard({ forecast, error, plan, canChange, onConsider }: ForecastCardProps) {
  const description = forecast ? `Where this month is heading, by ${lastDayOf(forecast.period_end)}.` : 'Where this month is heading.'
  if (error) {
    return (
      <Card title="Forecast" description={description}>
        <FormError error={error} />
      </Card>
    )
  }
  if (!forecast) {
    return (
      <Card title="Forecast" description={description}>
        <div className="stack-sm" role="status" aria-label="Loading forecast">
          <Skeleton width="30%" height="1.6rem" />
          <Skeleton width="80%" />
          <Skeleton width="70%" />
        </div>
      </Card>
    )
  }

  const meters = forecast.meters.filter(forecastWorthShowing)
  // Each method is explained once, under the meters that use it.
  const methods = [...new Set(meters.map((m) => m.method))]
  const { cost, currency, recommendation } = forecast

  return (
    <Card title="Forecast" description={description}>
      <div className="stack">
        <div className="forecast-cost">
          <p className="muted">Likely cost of this month</p>
          <p className="forecast-cost-value">{formatMoney(cost.expected_cents, currency)}</p>
          <p className="muted">
            {cost.low80_cents === cost.high80_cents
              ? 'At the current usage.'
              : `80 % likely between ${formatMoney(cost.low80_cents, currency)} and ${formatMoney(cost.high80_cents, currency)}.`}
          </p>
        </div>

        {recommendation ? (
          <Alert
            tone="info"
            title={`${recommendation.plan_name} may suit you better`}
            footer={
              canChange ? (
                <Button size="sm" onClick={() => onConsider(recommendation.plan)}>
                  Consider {recommendation.plan_name}
                </Button>
              ) : undefined
            }
          >
            {recommendation.reason} At this usage a month on {plan.name} costs about{' '}
            {formatMoney(recommendation.current_cents, currency)}; on {recommendation.plan_name}, about{' '}
            {formatMoney(recommendation.projected_cents, currency)}.
          </Alert>
        ) : null}

        {meters.length === 0 ? (
          <EmptyState
            icon="trendUp"
            title="Nothing to forecast yet"
            description="Once the workspace starts using StackPro, this shows where each meter is heading by the end of the month."
          />
        ) : (
          <ul className="forecast-list">
            {meters.map((m) => (
              <li key={m.meter} className="forecast-item">
                <div className="forecast-item-head">
                  <span className="strong">{METER_LABEL[m.meter]}</span>
                  <Badge>{METHOD_SHORT[m.method]}</Badge>
                </div>
                <p>{forecastSentence(m, forecast.period_end, currency)}</p>
              </li>
            ))}
          </ul>
        )}

        {methods.length > 0 ? (
          <dl className="details details-compact forecast-methods">
            {methods.map((method) => (
              <div key={method}>
                <dt>{METHOD_SHORT[method]}</dt>
                <dd>{METHOD_LABEL[method]}</dd>
              </div>
            ))}
          </dl>
        ) : null}

        <details className="disclosure">
          <summary>How the forecast works</summary>
          <p className="muted">{forecast.explanation}</p>
        </details>
      </div>
    </Card>
  )
}
