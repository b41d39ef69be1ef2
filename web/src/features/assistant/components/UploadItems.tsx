import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { RequestId } from '@/components/ui/FormError'
import { ApiError, hasCode, problemMessage } from '@/lib/api/problem'
import type { UploadItem } from '../api/upload'

/** Codes whose server detail says exactly what was wrong with the file ("This file named .pdf is a PNG file"). */
const DETAIL_FIRST = new Set(['document_refused', 'payload_too_large', 'plan_limit_reached', 'invalid_field', 'invalid_query', 'forbidden'])

/** Why a file was not taken, in the server's words where they are precise. */
function uploadProblem(error: unknown): string {
  if (error instanceof ApiError && DETAIL_FIRST.has(error.code) && error.problem.detail) return error.problem.detail
  return problemMessage(error)
}

function Progress({ item }: { item: UploadItem }) {
  const percent = Math.round(item.progress * 100)
  const stored = percent >= 100
  return (
    <div className="upload-progress" role="status" aria-live="polite">
      <p className="upload-progress-text">
        <span className="strong">{item.state === 'waiting' ? 'Waiting' : stored ? 'Storing' : item.target ? 'Replacing with' : 'Uploading'}</span>{' '}
        {item.name}
        <span className="muted"> · {item.state === 'waiting' ? 'after the files before it' : stored ? 'sealing it…' : `${percent}%`}</span>
      </p>
      <div className="progress" role="progressbar" aria-label={`Uploading ${item.name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <span className="progress-bar" style={{ width: `${percent}%` }} />
      </div>
    </div>
  )
}

function Failure({ item, onDismiss }: { item: UploadItem; onDismiss: () => void }) {
  const limit = hasCode(item.error, 'plan_limit_reached')
  return (
    <Alert
      tone={limit ? 'warning' : 'danger'}
      title={item.target ? `${item.name} did not replace the file` : `${item.name} was not uploaded`}
      footer={
        <span className="upload-failure-foot">
          {limit ? <Link to="/billing#plans">Compare plans</Link> : null}
          <Button size="sm" variant="ghost" onClick={onDismiss} aria-label={`Dismiss the message about ${item.name}`}>
            Dismiss
          </Button>
          <RequestId error={item.error} />
        </span>
      }
    >
      {uploadProblem(item.error)}
    </Alert>
  )
}

/** Files being sent, one bar each, and the ones that were refused, each with the reason. */
export function UploadItems({ items, onDismiss }: { items: readonly UploadItem[]; onDismiss: (key: number) => void }) {
  if (items.length === 0) return null
  return (
    <ul className="upload-list" aria-label="Uploads">
      {items.map((item) => (
        <li key={item.key}>{item.state === 'failed' ? <Failure item={item} onDismiss={() => onDismiss(item.key)} /> : <Progress item={item} />}</li>
      ))}
    </ul>
  )
}
