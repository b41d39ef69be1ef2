import { Link } from 'react-router'
import { Badge } from '@/components/ui/Badge'
import { Icon } from '@/components/ui/Icon'
import type { Upcoming } from './comingSoon'

export function ComingSoonPage({ area }: { area: Upcoming }) {
  return (
    <div className="page">
      <section className="soon">
        <span className="soon-icon">
          <Icon name={area.icon} size={28} />
        </span>
        <Badge tone="accent">Coming soon</Badge>
        <h1 className="soon-title">{area.title}</h1>
        <p className="soon-summary">{area.summary}</p>
        <ul className="soon-points">
          {area.points.map((p) => (
            <li key={p}>
              <Icon name="check" size={16} />
              <span>{p}</span>
            </li>
          ))}
        </ul>
        <p className="muted">
          We're building this now. In the meantime, set up your <Link to="/team">team</Link> and{' '}
          <Link to="/api-keys">API keys</Link>.
        </p>
      </section>
    </div>
  )
}
