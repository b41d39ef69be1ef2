import { useState } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { Icon } from '@/components/ui/Icon'
import type { Site } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { hostOf } from '../utils/site'
import { PublishDialog, UnpublishDialog } from './PublishDialogs'
import { SiteStatusBadge } from './SiteStatusBadge'

export function PublishCard({ site, manager }: { site: Site; manager: boolean }) {
  const [dialog, setDialog] = useState<'publish' | 'unpublish' | null>(null)
  const live = Boolean(site.published_at)

  return (
    <Card className="publish-card">
      <div className="publish-row">
        <div className="publish-state">
          <span className={live ? 'publish-dot is-live' : 'publish-dot'} aria-hidden="true" />
          <div>
            <p className="publish-title">
              {live ? (
                <>
                  Live at{' '}
                  <a href={site.url} target="_blank" rel="noopener noreferrer" className="publish-link">
                    {hostOf(site.url)}
                    <Icon name="external" size={14} />
                    <span className="visually-hidden"> (opens in a new tab)</span>
                  </a>
                </>
              ) : (
                'Not published'
              )}{' '}
              <SiteStatusBadge site={site} />
            </p>
            <p className="muted publish-detail">
              {site.published_at ? (
                <>
                  Last published{' '}
                  <time dateTime={site.published_at} title={absoluteTime(site.published_at)}>
                    {relativeTime(site.published_at)}
                  </time>
                  . Edits stay in draft until you publish again.
                </>
              ) : (
                <>Visitors see nothing yet. When you publish, it answers at {hostOf(site.url)}.</>
              )}
            </p>
          </div>
        </div>
        {manager ? (
          <div className="publish-actions">
            {live ? (
              <Button variant="ghost" onClick={() => setDialog('unpublish')}>
                Unpublish
              </Button>
            ) : null}
            <Button variant="primary" icon="rocket" onClick={() => setDialog('publish')}>
              {live ? 'Publish changes' : 'Publish'}
            </Button>
          </div>
        ) : (
          <p className="muted publish-detail">Owners and admins publish the site.</p>
        )}
      </div>
      <PublishDialog site={site} open={dialog === 'publish'} onClose={() => setDialog(null)} />
      <UnpublishDialog site={site} open={dialog === 'unpublish'} onClose={() => setDialog(null)} />
    </Card>
  )
}
