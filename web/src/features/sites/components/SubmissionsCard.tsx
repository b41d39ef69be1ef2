import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import type { Site } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { useExportSubmissions, useSubmissions } from '../api/sites'
import { exportName } from '../utils/site'

/** The usual contact fields first, in the order a person reads them; the rest after. */
const FIRST = ['name', 'email', 'phone', 'subject', 'message']
function ordered(fields: Record<string, string>): [string, string][] {
  const rank = (k: string) => {
    const i = FIRST.indexOf(k.toLowerCase())
    return i === -1 ? FIRST.length : i
  }
  return Object.entries(fields).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
}

/** "your_name" → "Your name". */
function fieldLabel(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim()
  return words ? words[0]?.toUpperCase() + words.slice(1) : key
}

export function SubmissionsCard({ site }: { site: Site }) {
  const submissions = useSubmissions(site.id)
  const exporter = useExportSubmissions()
  const count = submissions.data?.length ?? 0

  return (
    <Card
      title="Form messages"
      description="What visitors send through the site’s contact forms, newest first."
      actions={
        <Button
          size="sm"
          icon="download"
          onClick={() => exporter.mutate({ site: site.id, filename: exportName(site.slug, 'messages') })}
          loading={exporter.isPending}
          disabled={count === 0}
        >
          Export CSV
        </Button>
      }
      flush
    >
      {exporter.error ? (
        <div className="card-pad">
          <FormError error={exporter.error} />
        </div>
      ) : null}
      {submissions.error ? (
        <div className="card-pad">
          <LoadError error={submissions.error} onRetry={() => void submissions.refetch()} retrying={submissions.isFetching} />
        </div>
      ) : !submissions.data ? (
        <div className="card-pad">
          <SkeletonRows rows={2} label="Loading form messages" />
        </div>
      ) : count === 0 ? (
        <EmptyState
          icon="mail"
          title="No messages yet"
          description={site.published_at ? 'When a visitor sends the contact form, the message shows up here.' : 'Publish the site; when visitors send its contact form, the messages show up here.'}
        />
      ) : (
        <Table
          caption={`Form messages sent through ${site.name}`}
          head={
            <>
              <th scope="col">Received</th>
              <th scope="col">Form</th>
              <th scope="col">Page</th>
              <th scope="col">Message</th>
            </>
          }
        >
          {submissions.data.map((s) => (
            <tr key={s.id}>
              <td data-label="Received">
                <time dateTime={s.created_at} title={absoluteTime(s.created_at)} className="nowrap">
                  {relativeTime(s.created_at)}
                </time>
              </td>
              <td data-label="Form">{s.form}</td>
              <td data-label="Page">
                <code className="code">{s.page}</code>
              </td>
              <td data-label="Message">
                <dl className="submission-fields">
                  {ordered(s.fields).map(([k, v]) => (
                    <div key={k}>
                      <dt>{fieldLabel(k)}</dt>
                      <dd>{v}</dd>
                    </div>
                  ))}
                </dl>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  )
}
