import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Icon } from '@/components/ui/Icon'
import type { AssistantDocument, Member } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { isSettled } from '../api/documents'
import type { UploadItem } from '../api/upload'
import { KIND_LABEL, STATUS_LABEL, STATUS_TONE, VISIBILITY_LABEL, VISIBILITY_TONE, formatBytes, plural } from '../utils/labels'
import { UploadItems } from './UploadItems'

interface DocumentRowProps {
  doc: AssistantDocument
  /** Client members by id, to name whom a document is shared with (editors only). */
  clients: ReadonlyMap<string, Member>
  editor: boolean
  /** A replacement file being sent for this document, or refused. */
  uploads: readonly UploadItem[]
  onDismissUpload: (key: number) => void
  onVisibility: () => void
  onReplace: () => void
  onDelete: () => void
}

function sharedLine(doc: AssistantDocument, clients: ReadonlyMap<string, Member>): string | null {
  if (doc.visibility !== 'clients' || doc.shared_with.length === 0) return null
  const names = doc.shared_with.map((id) => clients.get(id)).filter((m): m is Member => m !== undefined).map((m) => m.name ?? m.email)
  return names.length === doc.shared_with.length && names.length <= 3
    ? `Shared with ${names.join(', ')}`
    : `Shared with ${plural(doc.shared_with.length, 'client')}`
}

/** One document: its status and progress while it is read, what it holds once read, and why it failed. */
export function DocumentRow({ doc, clients, editor, uploads, onDismissUpload, onVisibility, onReplace, onDelete }: DocumentRowProps) {
  const settled = isSettled(doc)
  const replacing = uploads.some((u) => u.state !== 'failed')
  // Clients cannot see the other clients, so only the team is told whom it is shared with.
  const shared = editor ? sharedLine(doc, clients) : null
  const meta = [
    KIND_LABEL[doc.kind],
    formatBytes(doc.bytes),
    doc.pages != null ? plural(doc.pages, 'page') : null,
    doc.status === 'ready' || doc.chunks > 0 ? plural(doc.chunks, 'passage') : null,
  ].filter(Boolean)

  return (
    <li className="doc-row">
      <span className={`doc-icon doc-icon-${doc.status}`} aria-hidden="true">
        <Icon name={doc.status === 'failed' ? 'alert' : 'file'} size={18} />
      </span>
      <div className="doc-main">
        <p className="doc-title">
          <span className="strong doc-name">{doc.title}</span>
          <Badge tone={STATUS_TONE[doc.status]}>{STATUS_LABEL[doc.status]}</Badge>
          <Badge tone={VISIBILITY_TONE[doc.visibility]}>{VISIBILITY_LABEL[doc.visibility]}</Badge>
        </p>
        <p className="muted doc-meta">
          <span className="doc-filename">{doc.filename}</span> · {meta.join(' · ')} ·{' '}
          <time dateTime={doc.updated_at} title={absoluteTime(doc.updated_at)}>
            {relativeTime(doc.updated_at)}
          </time>
        </p>
        {shared ? <p className="muted doc-meta">{shared}</p> : null}
        {!settled ? (
          <div className="doc-progress">
            <p className="doc-stage">
              {doc.stage || STATUS_LABEL[doc.status]}
              <span className="muted"> · {doc.progress}%</span>
            </p>
            <div
              className="progress"
              role="progressbar"
              aria-label={`Reading ${doc.title}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={doc.progress}
              aria-valuetext={doc.stage}
            >
              <span className="progress-bar" style={{ width: `${Math.max(doc.progress, 2)}%` }} />
            </div>
            {doc.chunks > 0 ? <p className="muted doc-note">Until the new file is read, answers come from the previous one.</p> : null}
          </div>
        ) : null}
        {doc.status === 'failed' ? (
          <p className="doc-error">
            <Icon name="alert" size={16} />
            <span>
              {doc.error?.detail || 'This file could not be read.'}
              {editor ? ' Replace it with a file that can be read, or delete it.' : ''}
              {doc.chunks > 0 ? ` Until then, answers come from the ${plural(doc.chunks, 'passage')} of the previous file.` : ''}
            </span>
          </p>
        ) : null}
        <UploadItems items={uploads} onDismiss={onDismissUpload} />
      </div>
      {editor ? (
        <div className="doc-actions">
          <Button size="sm" variant="ghost" icon="eye" onClick={onVisibility} aria-label={`Change who may read ${doc.title}`}>
            Visibility
          </Button>
          <Button size="sm" variant="ghost" icon="upload" onClick={onReplace} disabled={replacing} aria-label={`Replace the file of ${doc.title}`}>
            Replace
          </Button>
          <Button size="sm" variant="ghost" icon="trash" className="is-danger" onClick={onDelete} aria-label={`Delete ${doc.title}`}>
            Delete
          </Button>
        </div>
      ) : null}
    </li>
  )
}
