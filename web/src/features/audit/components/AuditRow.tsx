import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import type { AuditEntry } from '@/lib/api/types'
import { auditActionLabel, auditActionTone, auditActorLabel, auditTargetLabel } from '@/lib/audit-labels'
import { absoluteTime, relativeTime } from '@/lib/format'

export function AuditRow({ entry, onOpen }: { entry: AuditEntry; onOpen: (entry: AuditEntry) => void }) {
  const target = auditTargetLabel(entry)
  return (
    <tr>
      <td data-label="When" className="nowrap">
        <span className="audit-when">
          <time dateTime={entry.at} title={absoluteTime(entry.at)}>
            {relativeTime(entry.at)}
          </time>
          <span className="muted" title="Position in the chain">
            #{entry.seq}
          </span>
        </span>
      </td>
      <td data-label="Action">
        <span className="audit-action">
          <Badge tone={auditActionTone(entry.action)}>{auditActionLabel(entry.action)}</Badge>
          <code className="code-subtle" title="Action code">
            {entry.action}
          </code>
        </span>
      </td>
      <td data-label="Actor">{auditActorLabel(entry)}</td>
      <td data-label="Target" title={entry.target ?? undefined}>
        {target ?? <span className="muted">—</span>}
      </td>
      <td data-label="IP address">
        {entry.ip ? <code className="code-subtle">{entry.ip}</code> : <span className="muted">—</span>}
      </td>
      <td className="cell-actions">
        <Button variant="ghost" size="sm" onClick={() => onOpen(entry)} aria-label={`Details of entry #${entry.seq}`}>
          Details
        </Button>
      </td>
    </tr>
  )
}
