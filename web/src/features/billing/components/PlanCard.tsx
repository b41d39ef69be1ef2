import { Alert } from '@/components/ui/Alert'
import { Badge, type Tone } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { BillingOverview, PlanView } from '@/lib/api/types'
import { useChangePlan } from '../api/billing'
import { formatMoney, localDate, periodDayYear, periodRange } from '../utils/format'

const STATUS: Record<BillingOverview['status'], { label: string; tone: Tone }> = {
  trialing: { label: 'Trial', tone: 'accent' },
  active: { label: 'Active', tone: 'success' },
  past_due: { label: 'Payment overdue', tone: 'warning' },
  restricted: { label: 'Restricted', tone: 'danger' },
}

interface PlanCardProps {
  overview: BillingOverview
  /** Plan names by key, for the scheduled plan and the free level. */
  planName: (key: string) => string
  canChange: boolean
  onChangePlan: () => void
}

/** The plan and its standing: trial, overdue, restricted, or a downgrade waiting for the period's end. */
export function PlanCard({ overview, planName, canChange, onChangePlan }: PlanCardProps) {
  const keep = useChangePlan()
  const toast = useToast()
  const plan: PlanView = overview.plan
  const status = STATUS[overview.status]
  const free = overview.effective_plan !== plan.key ? planName(overview.effective_plan) : 'Free'

  const keepPlan = () =>
    keep.mutate(plan.key, {
      onSuccess: (change) => toast({ title: `Staying on ${plan.name}`, description: change.message }),
    })

  return (
    <Card
      title="Plan"
      actions={
        canChange ? (
          <Button size="sm" onClick={onChangePlan}>
            Change plan
          </Button>
        ) : undefined
      }
    >
      <div className="stack">
        <div className="plan-summary">
          <div>
            <p className="plan-name">{plan.name}</p>
            <p className="plan-price">
              {plan.price_cents > 0 ? (
                <>
                  {formatMoney(plan.price_cents, overview.currency)} <span className="muted">/ month</span>
                </>
              ) : overview.status === 'trialing' ? (
                <span className="muted">Free while the trial lasts</span>
              ) : (
                <span className="muted">No charge</span>
              )}
            </p>
          </div>
          <Badge tone={status.tone}>{status.label}</Badge>
        </div>
        <dl className="details details-compact">
          <div>
            <dt>This period</dt>
            <dd>{periodRange(overview.period_start, overview.period_end)}</dd>
          </div>
          {overview.effective_plan !== plan.key ? (
            <div>
              <dt>Limits in force</dt>
              <dd>{planName(overview.effective_plan)}</dd>
            </div>
          ) : null}
          <div>
            <dt>Payments</dt>
            <dd>
              {overview.payments_configured
                ? overview.stripe?.subscription
                  ? 'By card, through Stripe'
                  : 'No card on file yet'
                : 'Not collected on this installation'}
            </dd>
          </div>
        </dl>

        {overview.status === 'trialing' && overview.trial_ends_at ? (
          <Alert tone="info" title={`Trial ends on ${localDate(overview.trial_ends_at)}`}>
            Choose a plan to keep working without interruption. If you don't, the workspace moves to the {free}{' '}
            plan's limits when the trial ends. Nothing is deleted.
          </Alert>
        ) : null}

        {overview.status === 'past_due' ? (
          <Alert
            tone="warning"
            title={overview.past_due_since ? `Payment overdue since ${localDate(overview.past_due_since)}` : 'Payment overdue'}
          >
            {overview.restricted_at
              ? `If the invoice stays unpaid, limits drop to the free level on ${localDate(overview.restricted_at)}. `
              : 'If the invoice stays unpaid, limits drop to the free level. '}
            Nothing is deleted, and paying the invoice keeps {plan.name} as it is. Stripe tries the card again over the
            next days; to pay with another card, use the link in Stripe's email about the invoice.
          </Alert>
        ) : null}

        {overview.status === 'restricted' ? (
          <Alert tone="danger" title="Limits reduced to the free level">
            {overview.past_due_since ? `A payment has been overdue since ${localDate(overview.past_due_since)}, so ` : 'A payment is overdue, so '}
            {overview.restricted_at ? `since ${localDate(overview.restricted_at)} ` : ''}
            the workspace works within the {free} plan's limits. Nothing is deleted: once the invoice is paid,{' '}
            {plan.name}'s limits return.
          </Alert>
        ) : null}

        {overview.scheduled_plan ? (
          <Alert
            tone="info"
            title={`Moving to ${planName(overview.scheduled_plan)} on ${periodDayYear(overview.period_end)}`}
            footer={
              canChange ? (
                <Button size="sm" onClick={keepPlan} loading={keep.isPending}>
                  Keep {plan.name}
                </Button>
              ) : undefined
            }
          >
            Until then the workspace stays on {plan.name}{overview.status === 'restricted' ? '' : ' and keeps its limits'}.
          </Alert>
        ) : null}
        {keep.error ? <FormError error={keep.error} /> : null}

        {overview.stripe && !overview.stripe.in_sync ? (
          <Alert tone="warning" title="Waiting for Stripe">
            Stripe hasn't confirmed the subscription for {plan.name} yet. This usually takes seconds; if it stays like
            this, the installation's failed jobs say why.
          </Alert>
        ) : null}
      </div>
    </Card>
  )
}
