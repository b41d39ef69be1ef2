import { Link } from 'react-router'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { SkeletonRows } from '@/components/ui/Skeleton'
import type { AuditEntry } from '@/lib/api/types'
import { auditActionLabel, auditActorLabel, auditTargetLabel } from '@/lib/audit-labels'
import { absoluteTime, relativeTime } from '@/lib/format'

/** "actor · target", leaving out the target when people act on themselves (sign-ins). */
function who(entry: AuditEntry): string {
  const actor = auditActorLabel(entry)
  const target = auditTargetLabel(entry)
  return target && target !== actor ? `${actor} · ${target}` : actor
}

interface RecentActivityProps {
  entries: AuditEntry[] | undefined
  loading: boolean
  allowed: boolean
}

export function RecentActivity({ entries, loading, allowed }: RecentActivityProps) {
  return (
    <Card title="Recent activity" actions={allowed ? <Link to="/audit">View audit log</Link> : null}>
      {!allowed ? <p className="muted">Activity is visible to owners and admins.</p> : null}
      {allowed && loading ? <SkeletonRows rows={3} label="Loading recent activity" /> : null}
      {entries && entries.length === 0 ? (
        <EmptyState icon="list" title="No activity yet" description="Sign-ins and team changes will show up here." />
      ) : null}
      {entries && entries.length > 0 ? (
        <ol className="timeline">
          {entries.map((e) => (
            <li key={e.id} className="timeline-item">
              <span className="timeline-dot" aria-hidden="true" />
              <span className="timeline-text">
                <span className="strong">{auditActionLabel(e.action)}</span>
                <span className="muted">
                  {who(e)}
                </span>
              </span>
              <time className="timeline-time" dateTime={e.at} title={absoluteTime(e.at)}>
                {relativeTime(e.at)}
              </time>
            </li>
          ))}
        </ol>
      ) : null}
    </Card>
  )
}
