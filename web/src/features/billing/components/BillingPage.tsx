import { useEffect, useState } from 'react'
import { useLocation } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { LoadError } from '@/components/ui/LoadError'
import { PageHeader } from '@/components/ui/PageHeader'
import { useMe } from '@/lib/api/me'
import type { PlanView } from '@/lib/api/types'
import { canManage } from '@/lib/roles'
import { useBillingOverview, useForecast, usePlans } from '../api/billing'
import { AlertsCard } from './AlertsCard'
import { BillingSkeleton } from './BillingSkeleton'
import { ChangePlanDialog } from './ChangePlanDialog'
import { ForecastCard } from './ForecastCard'
import { InvoicesCard } from './InvoicesCard'
import { PlanCard } from './PlanCard'
import { PlansCard } from './PlansCard'
import { UpcomingInvoiceCard } from './UpcomingInvoiceCard'
import { UsageCard } from './UsageCard'
import { UsageChartCard } from './UsageChartCard'

const NAMES: Record<string, string> = { free: 'Free', trial: 'Trial' }

export function BillingPage() {
  const me = useMe()
  const allowed = canManage(me.data?.role)
  // Reading is for owners and admins; changing the plan is for owners acting as themselves.
  const canChange = me.data?.role === 'owner' && !me.data.read_only
  const overview = useBillingOverview(allowed)
  const plans = usePlans(allowed)
  const forecast = useForecast(allowed)
  const [target, setTarget] = useState<PlanView | null>(null)
  const { hash } = useLocation()
  const loaded = overview.data !== undefined

  // Links such as "Compare plans" on the Team page land on the plans (/billing#plans).
  useEffect(() => {
    if (loaded && hash === '#plans') document.getElementById('plans')?.scrollIntoView({ block: 'start' })
  }, [loaded, hash])

  const header = <PageHeader title="Billing" description="Your plan, what you've used this month, and what it will cost." />

  if (me.data && !allowed) {
    return (
      <div className="page">
        {header}
        <Card>
          <EmptyState
            icon="shield"
            title="Owners and admins only"
            description="Billing shows the workspace's plan, usage and invoices. Ask a workspace owner if you need something from here."
          />
        </Card>
      </div>
    )
  }

  if (overview.error) {
    return (
      <div className="page">
        {header}
        <Card>
          <LoadError error={overview.error} onRetry={() => void overview.refetch()} retrying={overview.isFetching} />
        </Card>
      </div>
    )
  }

  const data = overview.data
  if (!data) {
    return (
      <div className="page">
        {header}
        <BillingSkeleton />
      </div>
    )
  }

  const planName = (key: string) => plans.data?.find((p) => p.key === key)?.name ?? (key === data.plan.key ? data.plan.name : (NAMES[key] ?? key))
  const choose = (key: string) => setTarget(plans.data?.find((p) => p.key === key) ?? null)
  const showPlans = () => document.getElementById('plans')?.scrollIntoView({ behavior: 'smooth', block: 'start' })

  return (
    <div className="page">
      {header}
      {!canChange ? (
        <Alert tone="info">Only the workspace owner can change the plan. Everything else here is yours to see.</Alert>
      ) : null}
      <div className="grid-2">
        <PlanCard overview={data} planName={planName} canChange={canChange} onChangePlan={showPlans} />
        <UpcomingInvoiceCard invoice={data.upcoming} />
      </div>
      <UsageCard overview={data} />
      <UsageChartCard overview={data} forecast={forecast.data} />
      <ForecastCard forecast={forecast.data} error={forecast.error} plan={data.plan} canChange={canChange} onConsider={choose} />
      <AlertsCard alerts={data.alerts} usage={data.usage} />
      <PlansCard plans={plans.data} error={plans.error} overview={data} canChange={canChange} onChoose={setTarget} />
      <InvoicesCard firstIssueOn={data.period_end} />
      <ChangePlanDialog target={target} overview={data} onClose={() => setTarget(null)} />
    </div>
  )
}
