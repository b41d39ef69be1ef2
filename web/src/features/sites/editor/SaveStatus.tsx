import { Button } from '@/components/ui/Button'
import { Icon } from '@/components/ui/Icon'
import { Spinner } from '@/components/ui/Spinner'
import { problemMessage } from '@/lib/api/problem'
import type { SaveStatus as Status } from './usePageSession'

const LABEL: Record<Status, string> = {
  saved: 'Saved',
  dirty: 'Unsaved changes',
  saving: 'Saving…',
  error: 'Save failed',
  conflict: 'Not saved',
}

interface SaveStatusProps {
  status: Status
  error: unknown
  onRetry: () => void
  onResolve: () => void
}

/** Where the page stands: read out politely by screen readers as it changes. */
export function SaveStatus({ status, error, onRetry, onResolve }: SaveStatusProps) {
  return (
    <div className={`save-status is-${status}`}>
      <span className="save-status-label" role="status" aria-live="polite" title={status === 'error' ? problemMessage(error) : status === 'conflict' ? 'Someone saved this page since you opened it.' : undefined}>
        {status === 'saving' ? <Spinner /> : <Icon name={status === 'saved' ? 'checkCircle' : status === 'dirty' ? 'circle' : 'alert'} size={16} />}
        <span>{LABEL[status]}</span>
      </span>
      {status === 'error' ? (
        <Button size="sm" variant="ghost" onClick={onRetry}>
          Retry
        </Button>
      ) : null}
      {status === 'conflict' ? (
        <Button size="sm" variant="ghost" onClick={onResolve}>
          Resolve
        </Button>
      ) : null}
    </div>
  )
}
