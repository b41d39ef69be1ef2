import { Card } from '@/components/ui/Card'
import { Skeleton } from '@/components/ui/Skeleton'

/** The page's shape while the overview loads, so nothing jumps when it arrives. */
export function BillingSkeleton() {
  return (
    <div className="billing-stack" role="status" aria-label="Loading billing">
      <div className="grid-2">
        <Card title="Plan">
          <div className="stack-sm">
            <Skeleton width="40%" height="1.6rem" />
            <Skeleton width="25%" />
            <Skeleton width="70%" />
          </div>
        </Card>
        <Card title="This month so far">
          <div className="stack-sm">
            <Skeleton width="80%" />
            <Skeleton width="60%" />
            <Skeleton width="30%" height="1.2rem" />
          </div>
        </Card>
      </div>
      <Card title="Usage this period">
        <div className="meter-grid">
          {[0, 1, 2, 3].map((i) => (
            <div key={i} className="stack-sm">
              <Skeleton width="45%" />
              <Skeleton width="65%" height="0.75rem" />
              <Skeleton height="6px" />
            </div>
          ))}
        </div>
      </Card>
    </div>
  )
}
