import { Link } from 'react-router'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Icon } from '@/components/ui/Icon'
import { LoadError } from '@/components/ui/LoadError'
import { PageHeader } from '@/components/ui/PageHeader'
import { Skeleton } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import { canManage } from '@/lib/roles'
import { useSites, useTemplates } from '../api/sites'
import { SiteCard } from './SiteCard'

function NewSiteLink({ label = 'New site' }: { label?: string }) {
  return (
    <Link to="/sites/new" className="btn btn-primary btn-md">
      <Icon name="plus" size={16} />
      <span>{label}</span>
    </Link>
  )
}

function SitesSkeleton() {
  return (
    <div className="site-grid" role="status" aria-label="Loading sites">
      {[0, 1, 2].map((i) => (
        <div key={i} className="site-card">
          <Skeleton height="150px" />
          <div className="site-card-body stack-sm">
            <Skeleton width="60%" height="1.1rem" />
            <Skeleton width="80%" />
            <Skeleton width="40%" />
          </div>
        </div>
      ))}
    </div>
  )
}

/** The workspace's websites as cards, and the way to make a new one. */
export function SitesPage() {
  const me = useMe()
  const manager = canManage(me.data?.role) && !me.data?.read_only
  const sites = useSites()
  const templates = useTemplates()
  const list = sites.data

  return (
    <div className="page">
      <PageHeader
        title="Sites"
        description="Your business websites: pick a template, edit it visually, and publish it at its own address."
        actions={manager && list && list.length > 0 ? <NewSiteLink /> : null}
      />
      {sites.error ? (
        <Card>
          <LoadError error={sites.error} onRetry={() => void sites.refetch()} retrying={sites.isFetching} />
        </Card>
      ) : !list ? (
        <SitesSkeleton />
      ) : list.length === 0 ? (
        <Card>
          <EmptyState
            icon="globe"
            title="No sites yet"
            description={
              <>
                A site is your business’s website: a home page made from a template with your name, city, phone and
                services filled in, more pages if you like, and a contact form whose messages arrive here. Edit it by
                dragging blocks, then publish it at its own address.
                {manager ? null : ' Ask a workspace owner or admin to create one.'}
              </>
            }
            action={manager ? <NewSiteLink label="Create your first site" /> : null}
          />
        </Card>
      ) : (
        <ul className="site-grid" aria-label="Sites">
          {list.map((site) => (
            <li key={site.id}>
              <SiteCard site={site} template={templates.data?.find((t) => t.key === site.template)} />
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
