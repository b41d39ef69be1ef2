interface SkeletonProps {
  width?: string
  height?: string
}

export function Skeleton({ width = '100%', height = '0.9rem' }: SkeletonProps) {
  return <span className="skeleton" style={{ width, height }} aria-hidden="true" />
}

/** Placeholder rows for a list or table that is loading. */
export function SkeletonRows({ rows = 3, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div className="skeleton-rows" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div className="skeleton-row" key={i}>
          <Skeleton width="2rem" height="2rem" />
          <div className="skeleton-lines">
            <Skeleton width={`${55 - i * 7}%`} />
            <Skeleton width={`${30 + i * 5}%`} height="0.7rem" />
          </div>
        </div>
      ))}
    </div>
  )
}
