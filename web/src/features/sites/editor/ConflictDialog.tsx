import { useState } from 'react'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import type { PageContent } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'

interface ConflictDialogProps {
  open: boolean
  /** Their version; absent when the server did not send it. */
  current: PageContent | null
  mine: string | undefined
  onTakeTheirs: () => Promise<void>
  onKeepMine: () => Promise<boolean>
  onReload: () => void
  onClose: () => void
}

/** Someone saved the page after it was opened here: whose version wins is the person's call. */
export function ConflictDialog({ open, current, mine, onTakeTheirs, onKeepMine, onReload, onClose }: ConflictDialogProps) {
  const [busy, setBusy] = useState<'theirs' | 'mine' | null>(null)
  const who = current?.updated_by && current.updated_by === mine ? 'You (in another tab or window)' : 'A teammate'

  const run = async (which: 'theirs' | 'mine') => {
    setBusy(which)
    try {
      if (which === 'theirs') await onTakeTheirs()
      else await onKeepMine()
    } finally {
      setBusy(null)
    }
  }

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="This page was changed elsewhere"
      description={
        <>
          Someone saved this page since you opened it, so your latest changes were not saved.{' '}
          {current ? (
            <>
              {who} saved version {current.version}{' '}
              <time dateTime={current.updated_at} title={absoluteTime(current.updated_at)}>
                {relativeTime(current.updated_at)}
              </time>
              .
            </>
          ) : null}{' '}
          Choose which version to keep.
        </>
      }
      size="md"
      footer={
        current ? (
          <>
            <Button onClick={() => void run('theirs')} loading={busy === 'theirs'} disabled={busy !== null}>
              Load their version (discard mine)
            </Button>
            <Button variant="primary" onClick={() => void run('mine')} loading={busy === 'mine'} disabled={busy !== null}>
              Overwrite with mine
            </Button>
          </>
        ) : (
          <Button variant="primary" onClick={onReload}>
            Reload the page
          </Button>
        )
      }
    >
      <ul className="conflict-choices">
        <li>
          <span className="strong">Load their version</span>: the editor shows what they saved; your unsaved changes are lost.
        </li>
        <li>
          <span className="strong">Overwrite with mine</span>: your version is saved as the newest; theirs stays in the version history.
        </li>
      </ul>
    </Dialog>
  )
}
