import { Link } from 'react-router'
import { Icon } from '@/components/ui/Icon'
import type { Site, SiteTemplate } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { hostOf } from '../utils/site'
import { SiteStatusBadge } from './SiteStatusBadge'

interface SiteCardProps {
  site: Site
  template: SiteTemplate | undefined
}

export function SiteCard({ site, template }: SiteCardProps) {
  const live = Boolean(site.published_at)
  return (
    <article className="site-card" aria-labelledby={`site-${site.id}`}>
      <Link to={`/sites/${site.id}`} className="site-card-thumb" tabIndex={-1} aria-hidden="true">
        {template ? <img src={template.preview_url} alt="" width={600} height={400} loading="lazy" /> : null}
      </Link>
      <div className="site-card-body">
        <div className="site-card-head">
          <h2 className="site-card-name" id={`site-${site.id}`}>
            <Link to={`/sites/${site.id}`}>{site.name}</Link>
          </h2>
          <SiteStatusBadge site={site} />
        </div>
        <p className="site-card-host">{hostOf(site.url)}</p>
        <p className="site-card-meta muted">
          {site.published_at ? (
            <>
              Last published{' '}
              <time dateTime={site.published_at} title={absoluteTime(site.published_at)}>
                {relativeTime(site.published_at)}
              </time>
            </>
          ) : (
            <>{template ? `${template.name} template · ` : ''}never published</>
          )}
        </p>
        <div className="site-card-actions">
          <Link to={`/sites/${site.id}`} className="btn btn-secondary btn-sm">
            <span>Manage</span>
          </Link>
          {live ? (
            <a href={site.url} target="_blank" rel="noopener noreferrer" className="btn btn-ghost btn-sm">
              <Icon name="external" size={16} />
              <span>
                Visit site<span className="visually-hidden"> {site.name} (opens in a new tab)</span>
              </span>
            </a>
          ) : null}
        </div>
      </div>
    </article>
  )
}
