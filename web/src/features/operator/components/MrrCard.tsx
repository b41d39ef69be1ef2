import { lazy, Suspense } from 'react'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Skeleton } from '@/components/ui/Skeleton'
import type { PlatformOverview } from '@/lib/api/types'

const MrrChart = lazy(() => import('./MrrChart').then((m) => ({ default: m.MrrChart })))

function ChartPlaceholder() {
  return (
    <div className="chart chart-loading chart-bars" role="status" aria-label="Loading chart">
      <Skeleton height="100%" />
    </div>
  )
}

/** Where the monthly recurring revenue comes from, plan by plan. */
export function MrrCard({ overview }: { overview: PlatformOverview }) {
  const earning = overview.plans.filter((p) => p.mrr_cents > 0).sort((a, b) => b.mrr_cents - a.mrr_cents)
  return (
    <Card title="Recurring revenue by plan" description="Each plan's price times its active and past-due workspaces.">
      {earning.length === 0 ? (
        <EmptyState
          icon="trendUp"
          title="No recurring revenue yet"
          description="When a workspace moves to a paid plan, its monthly price shows here."
        />
      ) : (
        <Suspense fallback={<ChartPlaceholder />}>
          <MrrChart plans={earning} currency={overview.currency} />
        </Suspense>
      )}
    </Card>
  )
}
