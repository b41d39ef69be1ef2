import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { FormError } from '@/components/ui/FormError'
import { Skeleton } from '@/components/ui/Skeleton'
import type { BillingOverview, PlanView } from '@/lib/api/types'
import { formatMoney, periodDay } from '../utils/format'
import { describeLimit, isMeter, isUpgrade, KEY_METERS } from '../utils/plans'

interface PlansCardProps {
  plans: PlanView[] | undefined
  error: unknown
  overview: BillingOverview
  canChange: boolean
  onChoose: (plan: PlanView) => void
}

function PlanOption({ plan, overview, canChange, onChoose }: { plan: PlanView } & Omit<PlansCardProps, 'plans' | 'error'>) {
  const current = overview.plan
  const isCurrent = plan.key === current.key
  const isScheduled = plan.key === overview.scheduled_plan
  const upgrade = !isCurrent && isUpgrade(current, plan)
  const others = Object.keys(plan.limits)
    .filter(isMeter)
    .filter((m) => !KEY_METERS.includes(m))

  return (
    <article className={isCurrent ? 'plan-option is-current' : 'plan-option'} aria-label={`${plan.name} plan`}>
      <header className="plan-option-head">
        <h3 className="plan-option-name">{plan.name}</h3>
        {isCurrent ? <Badge tone="accent">Current plan</Badge> : null}
        {isScheduled ? <Badge tone="warning">From {periodDay(overview.period_end)}</Badge> : null}
      </header>
      <p className="plan-price">
        {formatMoney(plan.price_cents, overview.currency, plan.price_cents % 100 === 0 ? 0 : 2)} <span className="muted">/ month</span>
      </p>
      <ul className="plan-limits">
        {KEY_METERS.filter((m) => plan.limits[m]).map((m) => {
          const limit = plan.limits[m]
          return limit ? <li key={m}>{describeLimit(m, limit, overview.currency)}</li> : null
        })}
      </ul>
      {others.length > 0 ? (
        <details className="disclosure disclosure-sm">
          <summary>All limits</summary>
          <ul className="plan-limits">
            {others.map((m) => {
              const limit = plan.limits[m]
              return limit ? <li key={m}>{describeLimit(m, limit, overview.currency)}</li> : null
            })}
          </ul>
        </details>
      ) : null}
      {canChange && !isCurrent && !isScheduled ? (
        <div className="plan-option-foot">
          <Button variant={upgrade ? 'primary' : 'secondary'} block onClick={() => onChoose(plan)}>
            {upgrade && plan.price_cents > 0 ? `Upgrade to ${plan.name}` : `Switch to ${plan.name}`}
          </Button>
        </div>
      ) : null}
    </article>
  )
}

/** The plans on offer, side by side, with what each allows. */
export function PlansCard({ plans, error, overview, canChange, onChoose }: PlansCardProps) {
  return (
    <section id="plans" className="plans-section" aria-label="Plans">
      <Card
        title="Plans"
        description="Prices are per month. A larger plan applies at once; a smaller one at the end of the month."
      >
        {error ? <FormError error={error} /> : null}
        {!plans && !error ? (
          <div className="plan-grid" role="status" aria-label="Loading plans">
            {[0, 1, 2].map((i) => (
              <div key={i} className="plan-option stack-sm">
                <Skeleton width="50%" height="1.1rem" />
                <Skeleton width="35%" height="1.6rem" />
                <Skeleton width="90%" />
                <Skeleton width="80%" />
              </div>
            ))}
          </div>
        ) : null}
        {plans ? (
          <div className="plan-grid">
            {plans.map((p) => (
              <PlanOption key={p.key} plan={p} overview={overview} canChange={canChange} onChoose={onChoose} />
            ))}
          </div>
        ) : null}
      </Card>
    </section>
  )
}
