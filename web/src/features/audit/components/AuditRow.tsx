import { Badge } from '@/components/ui/Badge'
import type { AuditEntry } from '@/lib/api/types'
import { auditActionLabel, auditActionTone } from '@/lib/audit-labels'
import { absoluteTime, relativeTime } from '@/lib/format'

function actorName(entry: AuditEntry): string {
  if (entry.actor_label) return entry.actor_label
  if (entry.actor_id) return `User ${entry.actor_id.slice(0, 8)}`
  return 'System'
}

export function AuditRow({ entry }: { entry: AuditEntry }) {
  return (
    <tr>
      <td data-label="When" className="nowrap">
        <time dateTime={entry.at} title={absoluteTime(entry.at)}>
          {relativeTime(entry.at)}
        </time>
      </td>
      <td data-label="Action">
        <span className="audit-action">
          <Badge tone={auditActionTone(entry.action)}>{auditActionLabel(entry.action)}</Badge>
          <code className="code-subtle" title="Action code">
            {entry.action}
          </code>
        </span>
      </td>
      <td data-label="Actor">{actorName(entry)}</td>
      <td data-label="Target">{entry.target ?? <span className="muted">—</span>}</td>
      <td data-label="IP address">
        {entry.ip ? <code className="code-subtle">{entry.ip}</code> : <span className="muted">—</span>}
      </td>
      <td data-label="Seq" className="cell-num">
        <span className="muted">#{entry.seq}</span>
      </td>
    </tr>
  )
}
