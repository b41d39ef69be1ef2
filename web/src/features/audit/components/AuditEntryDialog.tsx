import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { Skeleton } from '@/components/ui/Skeleton'
import type { AuditEntry } from '@/lib/api/types'
import {
  auditActionLabel,
  auditActionTone,
  auditActorLabel,
  auditDetailLabel,
  auditDetails,
  auditTargetLabel,
} from '@/lib/audit-labels'
import { absoluteTime } from '@/lib/format'
import { useAuditEntry } from '../api/audit'

interface AuditEntryDialogProps {
  /** The entry to show, from the URL; null when the dialog is closed. */
  id: string | null
  /** The same entry from the list, when it is on screen. */
  shown: AuditEntry | undefined
  onClose: () => void
}

function EntryDetails({ entry }: { entry: AuditEntry }) {
  const target = auditTargetLabel(entry)
  // The target line already names who or what it was ("email", "name" repeat it).
  const details = auditDetails(entry).filter(([, value]) => value !== target)
  return (
    <dl className="details details-compact">
      <div>
        <dt>Action</dt>
        <dd>
          <span className="audit-action">
            <Badge tone={auditActionTone(entry.action)}>{auditActionLabel(entry.action)}</Badge>
            <code className="code-subtle">{entry.action}</code>
          </span>
        </dd>
      </div>
      <div>
        <dt>When</dt>
        <dd>
          <time dateTime={entry.at}>{absoluteTime(entry.at)}</time>
        </dd>
      </div>
      <div>
        <dt>Actor</dt>
        <dd>{auditActorLabel(entry)}</dd>
      </div>
      <div>
        <dt>Target</dt>
        <dd>
          {target ?? <span className="muted">—</span>}
          {entry.target && target !== entry.target ? (
            <code className="code-subtle code-break">{entry.target}</code>
          ) : null}
        </dd>
      </div>
      <div>
        <dt>IP address</dt>
        <dd>{entry.ip ? <code className="code-subtle">{entry.ip}</code> : <span className="muted">—</span>}</dd>
      </div>
      {details.map(([key, value]) => (
        <div key={key}>
          <dt>{auditDetailLabel(key)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
      <div>
        <dt>Position</dt>
        <dd>#{entry.seq} in the chain</dd>
      </div>
      <div>
        <dt>Entry ID</dt>
        <dd>
          <code className="code-subtle code-break">{entry.id}</code>
        </dd>
      </div>
    </dl>
  )
}

export function AuditEntryDialog({ id, shown, onClose }: AuditEntryDialogProps) {
  const entry = useAuditEntry(id, shown)
  return (
    <Dialog
      open={id !== null}
      onClose={onClose}
      size="md"
      title={entry.data ? auditActionLabel(entry.data.action) : 'Audit entry'}
      footer={<Button onClick={onClose}>Close</Button>}
    >
      {entry.data ? <EntryDetails entry={entry.data} /> : null}
      {!entry.data && entry.isPending ? (
        <div className="stack-sm" role="status" aria-label="Loading audit entry">
          <Skeleton width="60%" />
          <Skeleton width="45%" />
          <Skeleton width="50%" />
        </div>
      ) : null}
      {entry.error && !entry.data ? <FormError error={entry.error} /> : null}
    </Dialog>
  )
}
