import { Link } from 'react-router'
import { Icon, type IconName } from '@/components/ui/Icon'
import { Skeleton } from '@/components/ui/Skeleton'

interface StatCardProps {
  label: string
  value: number | undefined
  detail?: string
  icon: IconName
  to: string
  loading: boolean
}

export function StatCard({ label, value, detail, icon, to, loading }: StatCardProps) {
  return (
    <Link to={to} className="stat">
      <span className="stat-icon">
        <Icon name={icon} size={20} />
      </span>
      <span className="stat-text">
        <span className="stat-label">{label}</span>
        <span className="stat-value">
          {loading ? <Skeleton width="2.5rem" height="1.6rem" /> : (value ?? '—')}
        </span>
        {detail ? <span className="stat-detail">{detail}</span> : null}
      </span>
    </Link>
  )
}
