import { Link, useParams } from 'react-router'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Icon } from '@/components/ui/Icon'
import { LoadError } from '@/components/ui/LoadError'
import { PageHeader } from '@/components/ui/PageHeader'
import { Skeleton, SkeletonRows } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import { hasCode } from '@/lib/api/problem'
import { canManage } from '@/lib/roles'
import { usePages, useSite } from '../api/sites'
import { editorPath, hostOf } from '../utils/site'
import { DeleteSiteCard } from './DeleteSiteCard'
import { ImagesCard } from './ImagesCard'
import { PagesCard } from './PagesCard'
import { PublishCard } from './PublishCard'
import { SubmissionsCard } from './SubmissionsCard'

function BackLink() {
  return (
    <Link to="/sites" className="back-link">
      <Icon name="arrowLeft" size={16} />
      Sites
    </Link>
  )
}

/** One site: its address and publishing, pages, images, form messages, and deleting it. */
export function SitePage() {
  const { siteId = '' } = useParams()
  const me = useMe()
  const manager = canManage(me.data?.role) && !me.data?.read_only
  const editor = me.data !== undefined && me.data.role !== 'client' && !me.data.read_only
  const site = useSite(siteId)
  const pages = usePages(siteId)
  const home = pages.data?.find((p) => p.path === '/')
  const data = site.data

  if (site.error) {
    return (
      <div className="page">
        <BackLink />
        <Card>
          {hasCode(site.error, 'site_not_found') || hasCode(site.error, 'invalid_path') ? (
            <EmptyState icon="globe" title="Site not found" description="It doesn't exist in this workspace. It may have been deleted." action={<Link to="/sites">All sites</Link>} />
          ) : (
            <LoadError error={site.error} onRetry={() => void site.refetch()} retrying={site.isFetching} />
          )}
        </Card>
      </div>
    )
  }

  if (!data) {
    return (
      <div className="page">
        <BackLink />
        <div className="stack-sm" role="status" aria-label="Loading site">
          <Skeleton width="40%" height="1.6rem" />
          <Skeleton width="30%" />
        </div>
        <Card>
          <SkeletonRows rows={3} label="Loading pages" />
        </Card>
      </div>
    )
  }

  return (
    <div className="page">
      <BackLink />
      <PageHeader
        title={data.name}
        description={hostOf(data.url)}
        actions={
          editor && home ? (
            <Link to={editorPath(data.id, home.id)} className="btn btn-secondary btn-md">
              <Icon name="edit" size={16} />
              <span>Edit home page</span>
            </Link>
          ) : null
        }
      />
      <PublishCard site={data} manager={manager} />
      <PagesCard site={data} canEdit={editor} />
      <ImagesCard site={data} canEdit={editor} />
      <SubmissionsCard site={data} />
      {manager ? <DeleteSiteCard site={data} /> : null}
    </div>
  )
}
