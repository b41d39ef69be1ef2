import { Card } from '@/components/ui/Card'
import { Skeleton, SkeletonRows } from '@/components/ui/Skeleton'

/** The console's shape while the overview loads, so nothing jumps when it arrives. */
export function ConsoleSkeleton() {
  return (
    <div className="billing-stack" role="status" aria-label="Loading the console">
      <div className="figures">
        {[0, 1, 2, 3, 4].map((i) => (
          <div key={i} className={i === 0 ? 'figure figure-lead' : 'figure'}>
            <Skeleton width="60%" />
            <Skeleton width="45%" height="1.6rem" />
            <Skeleton width="80%" height="0.75rem" />
          </div>
        ))}
      </div>
      <Card title="Plans" flush>
        <SkeletonRows rows={3} label="Loading plans" />
      </Card>
      <div className="grid-2">
        <Card title="Recurring revenue by plan">
          <div className="chart-bars chart-loading">
            <Skeleton height="100%" />
          </div>
        </Card>
        <Card title="Trials">
          <div className="stack-sm">
            <Skeleton width="50%" height="1.4rem" />
            <Skeleton height="6px" />
            <Skeleton width="70%" />
            <Skeleton width="60%" />
          </div>
        </Card>
      </div>
    </div>
  )
}
