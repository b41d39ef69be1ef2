import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError, RequestId } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import { hasCode } from '@/lib/api/problem'
import type { BillingOverview, PlanView } from '@/lib/api/types'
import { useChangePlan, useCheckout } from '../api/billing'
import { formatMoney, formatQuantity, lastDayOf, METER_LABEL, periodDay } from '../utils/format'
import { describeLimit, isUpgrade, KEY_METERS, METER_UNIT, overLimits, type OverLimit } from '../utils/plans'

interface ChangePlanDialogProps {
  target: PlanView | null
  overview: BillingOverview
  onClose: () => void
}

function OverLimitLine({ over, plan }: { over: OverLimit; plan: string }) {
  const unit = METER_UNIT[over.meter]
  const excess = over.current - over.limit
  const fix =
    over.meter === 'seats' ? (
      <>
        {' '}
        Remove {excess === 1 ? 'one member or invitation' : `${excess} members or invitations`} on the <Link to="/team">Team</Link> page first.
      </>
    ) : (
      ` Reduce it by ${formatQuantity(excess, unit, over.meter)} first.`
    )
  return (
    <li>
      <span className="strong">{METER_LABEL[over.meter]}:</span> {formatQuantity(over.current, unit, over.meter)} in use, {plan} allows{' '}
      {formatQuantity(over.limit, unit, over.meter)}.{fix}
    </li>
  )
}

/** Says what a plan change will do before it is made: at once and prorated, or at the month's end. */
export function ChangePlanDialog({ target, overview, onClose }: ChangePlanDialogProps) {
  const change = useChangePlan()
  const checkout = useCheckout()
  const toast = useToast()
  const current = overview.plan
  const upgrade = target ? isUpgrade(current, target) : true
  // Where Stripe collects payments, the first paid plan starts in Checkout, where the card is entered.
  const needsCard = Boolean(
    target && upgrade && target.price_cents > 0 && overview.payments_configured && !overview.stripe?.subscription,
  )
  const cardRequired = hasCode(change.error, 'payment_method_required')
  const refused = overLimits(change.error)
  const busy = change.isPending || checkout.isPending

  const close = () => {
    change.reset()
    checkout.reset()
    onClose()
  }

  const goToCheckout = () => {
    if (!target) return
    checkout.mutate(target.key, { onSuccess: ({ url }) => window.location.assign(url) })
  }

  const confirm = () => {
    if (!target) return
    if (needsCard) return goToCheckout()
    change.mutate(target.key, {
      onSuccess: (result) => {
        toast({ title: result.outcome === 'scheduled' ? `${target.name} scheduled` : `You're on ${target.name}`, description: result.message })
        close()
      },
    })
  }

  if (!target) return <Dialog open={false} onClose={close} title="" />

  const end = periodDay(overview.period_end)
  const costs =
    target.price_cents > 0 ? `costs ${formatMoney(target.price_cents, overview.currency)} a month` : 'is free of charge'
  // Leaving the trial for Free applies at once too, but is no upgrade.
  const verb = upgrade && target.price_cents > 0 ? 'Upgrade to' : 'Switch to'
  const keyLimits = KEY_METERS.filter((m) => target.limits[m]).map((m) => {
    const limit = target.limits[m]
    return limit ? describeLimit(m, limit, overview.currency) : ''
  })

  const description = upgrade
    ? needsCard
      ? `You'll enter a card on Stripe's secure payment page. ${target.name} starts as soon as the card is confirmed.`
      : `${target.name} applies now, with its limits.`
    : `${target.name} applies on ${end}, at the end of this month. Until then you keep ${current.name} and its limits.`

  return (
    <Dialog
      open
      onClose={close}
      size="md"
      title={`${verb} ${target.name}?`}
      description={description}
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={busy}>
            Cancel
          </Button>
          {cardRequired ? (
            <Button variant="primary" onClick={goToCheckout} loading={checkout.isPending}>
              Continue to payment
            </Button>
          ) : refused.length > 0 ? null : (
            <Button variant="primary" onClick={confirm} loading={busy}>
              {needsCard ? 'Continue to payment' : upgrade ? `${verb} ${target.name}` : `Switch on ${end}`}
            </Button>
          )}
        </>
      }
    >
      <div className="stack">
        <ul className="consequences">
          {upgrade ? (
            <>
              <li>
                This month's invoice charges each plan for the time it was used (prorated): {current.name} until now,{' '}
                {target.name} from now until {lastDayOf(overview.period_end)}.
              </li>
              <li>
                From {end}, {target.name} {costs}.
              </li>
            </>
          ) : (
            <>
              <li>
                The rest of this month stays on {current.name}; from {end}, {target.name} {costs}.
              </li>
              <li>
                The change is refused if the workspace uses more than {target.name} allows (team seats, storage, sites,
                domains). You can cancel it any time before {end}.
              </li>
            </>
          )}
          {needsCard ? <li>Stripe charges the card each month from then on; you can change plans here at any time.</li> : null}
        </ul>
        <div>
          <p className="field-label">{target.name} includes</p>
          <ul className="plan-limits">
            {keyLimits.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </div>
        {refused.length > 0 ? (
          <Alert tone="danger" title={`The workspace uses more than ${target.name} allows`} footer={<RequestId error={change.error} />}>
            <ul className="refusal-list">
              {refused.map((o) => (
                <OverLimitLine key={o.meter} over={o} plan={target.name} />
              ))}
            </ul>
          </Alert>
        ) : cardRequired ? (
          <Alert tone="warning" title="A card is needed first">
            {target.name} is a paid plan and this workspace has no card yet. Continue to Stripe's payment page to add one.
          </Alert>
        ) : (
          <FormError error={change.error ?? checkout.error} />
        )}
      </div>
    </Dialog>
  )
}
