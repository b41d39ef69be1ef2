import { useState } from 'react'
import { Link } from 'react-router'
import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import type { Site, SitePage } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { usePages } from '../api/sites'
import { editorPath } from '../utils/site'
import { AddPageDialog } from './AddPageDialog'
import { DeletePageDialog } from './DeletePageDialog'

/** The home page first, then by path. */
function ordered(pages: SitePage[]): SitePage[] {
  return [...pages].sort((a, b) => (a.path === '/' ? -1 : b.path === '/' ? 1 : a.path.localeCompare(b.path)))
}

export function PagesCard({ site, canEdit }: { site: Site; canEdit: boolean }) {
  const pages = usePages(site.id)
  const [adding, setAdding] = useState(false)
  const [deleting, setDeleting] = useState<SitePage | null>(null)

  return (
    <Card
      title="Pages"
      description="Each page is edited on its own; publishing puts all of them live at once."
      actions={
        canEdit ? (
          <Button size="sm" icon="plus" onClick={() => setAdding(true)}>
            Add page
          </Button>
        ) : null
      }
      flush
    >
      {pages.error ? (
        <div className="card-pad">
          <LoadError error={pages.error} onRetry={() => void pages.refetch()} retrying={pages.isFetching} />
        </div>
      ) : !pages.data ? (
        <div className="card-pad">
          <SkeletonRows rows={2} label="Loading pages" />
        </div>
      ) : (
        <Table
          caption={`Pages of ${site.name}`}
          head={
            <>
              <th scope="col">Page</th>
              <th scope="col">Path</th>
              <th scope="col">Last saved</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </>
          }
        >
          {ordered(pages.data).map((page) => (
            <tr key={page.id}>
              <td data-label="Page">
                <span className="page-cell">
                  <span className="strong">{page.title}</span>
                  {page.path === '/' ? <Badge tone="accent">Home</Badge> : null}
                  {page.noindex ? <Badge>Hidden from search</Badge> : null}
                </span>
              </td>
              <td data-label="Path">
                <code className="code nowrap">{page.path}</code>
              </td>
              <td data-label="Last saved">
                <span>
                  <time dateTime={page.updated_at} title={absoluteTime(page.updated_at)}>
                    {relativeTime(page.updated_at)}
                  </time>{' '}
                  <span className="muted">· version {page.version}</span>
                </span>
              </td>
              <td className="cell-actions">
                {canEdit ? (
                  <div className="row-actions">
                    <Link to={editorPath(site.id, page.id)} className="btn btn-secondary btn-sm" aria-label={`Edit ${page.title}`}>
                      <span>Edit</span>
                    </Link>
                    {page.path !== '/' ? (
                      <Button variant="ghost" size="sm" className="is-danger" onClick={() => setDeleting(page)} aria-label={`Delete ${page.title}`}>
                        Delete
                      </Button>
                    ) : null}
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <AddPageDialog site={site} open={adding} onClose={() => setAdding(false)} />
      <DeletePageDialog site={site} page={deleting} onClose={() => setDeleting(null)} />
    </Card>
  )
}
