import { Card } from '@/components/ui/Card'
import { LoadError } from '@/components/ui/LoadError'
import { PageHeader } from '@/components/ui/PageHeader'
import { usePlatformOverview } from '../api/operator'
import { planNamer } from '../utils/figures'
import { ConsoleSkeleton } from './ConsoleSkeleton'
import { KeyFigures } from './KeyFigures'
import { MrrCard } from './MrrCard'
import { PastDueCard } from './PastDueCard'
import { PlanRevenueCard } from './PlanRevenueCard'
import { TrialsCard } from './TrialsCard'
import { UsageByWorkspaceCard } from './UsageByWorkspaceCard'

/** The console's one page: revenue, plans, payments, trials and usage across every workspace. */
export function ConsolePage() {
  const overview = usePlatformOverview()
  const planName = planNamer(overview.data)
  const header = (
    <PageHeader
      title="Revenue and usage"
      description="Every workspace on this installation: what it pays, how it stands, and what it uses."
    />
  )

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
  return (
    <div className="page">
      {header}
      {data ? (
        <>
          <KeyFigures overview={data} />
          <PlanRevenueCard overview={data} />
          <div className="grid-2">
            <MrrCard overview={data} />
            <TrialsCard trials={data.trials} planName={planName} />
          </div>
          <PastDueCard pastDue={data.past_due} planName={planName} />
        </>
      ) : (
        <ConsoleSkeleton />
      )}
      <UsageByWorkspaceCard planName={planName} />
    </div>
  )
}
