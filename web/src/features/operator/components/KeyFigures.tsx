import { Icon, type IconName } from '@/components/ui/Icon'
import type { PlatformOverview } from '@/lib/api/types'
import { formatMoney } from '@/lib/units'
import { payingWorkspaces, percentText, periodMonth, plural, trialOutcome } from '../utils/figures'

interface FigureProps {
  label: string
  value: string
  detail: string
  icon: IconName
  lead?: boolean
}

function Figure({ label, value, detail, icon, lead }: FigureProps) {
  return (
    <div className={lead ? 'figure figure-lead' : 'figure'}>
      <dt className="figure-label">
        <Icon name={icon} size={16} />
        {label}
      </dt>
      <dd className="figure-value">{value}</dd>
      <dd className="figure-detail">{detail}</dd>
    </div>
  )
}

/** Whole amounts without cents ("$1,900"), so the headline figures stay short. */
function money(cents: number, currency: string): string {
  return formatMoney(cents, currency, cents % 100 === 0 ? 0 : 2)
}

/** The installation at a glance: revenue, workspaces, trials and last month's invoicing. */
export function KeyFigures({ overview }: { overview: PlatformOverview }) {
  const paying = payingWorkspaces(overview.plans)
  const trialing = overview.trials.trialing
  const pastDue = overview.past_due.filter((p) => p.status === 'past_due').length
  const restricted = overview.past_due.length - pastDue
  const behind = [pastDue ? `${pastDue} past due` : '', restricted ? `${restricted} restricted` : ''].filter(Boolean).join(', ')
  const rate = percentText(overview.trials.rate)

  return (
    <dl className="figures" aria-label="Key figures">
      <Figure
        lead
        label="MRR"
        icon="trendUp"
        value={money(overview.mrr_cents, overview.currency)}
        detail={
          paying > 0
            ? `Monthly recurring revenue from ${plural(paying, 'paying workspace', 'paying workspaces')}`
            : 'Monthly recurring revenue: no paying workspaces yet'
        }
      />
      <Figure
        label="Workspaces"
        icon="home"
        value={overview.tenants.toLocaleString()}
        detail={trialing > 0 ? `${trialing.toLocaleString()} on a trial` : 'None on a trial'}
      />
      <Figure label="Paying workspaces" icon="users" value={paying.toLocaleString()} detail={behind || (paying > 0 ? 'All paid up' : 'None yet')} />
      <Figure label="Trial conversion" icon="checkCircle" value={rate ?? '—'} detail={trialOutcome(overview.trials)} />
      <Figure
        label="Invoiced last month"
        icon="card"
        value={money(overview.last_period_invoiced_cents, overview.currency)}
        detail={`${plural(overview.last_period_invoices, 'invoice', 'invoices')} for ${periodMonth(overview.last_period_start)}`}
      />
    </dl>
  )
}
