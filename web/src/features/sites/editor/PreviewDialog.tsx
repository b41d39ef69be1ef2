import { useState } from 'react'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { Icon } from '@/components/ui/Icon'
import { Spinner } from '@/components/ui/Spinner'
import { DEVICES, type Device } from './grapes'

interface PreviewDialogProps {
  open: boolean
  onClose: () => void
  /** The draft's HTML, once fetched. */
  html: string | null
  error: unknown
  /** Set when the last changes could not be saved, so the preview is older than the editor. */
  stale: boolean
}

/**
 * The saved draft, as the server renders it, in a frame with every sandbox restriction: no
 * script runs and it has no access to the dashboard.
 */
export function PreviewDialog({ open, onClose, html, error, stale }: PreviewDialogProps) {
  const [device, setDevice] = useState<Device['id']>('desktop')
  const width = DEVICES.find((d) => d.id === device)?.width || '100%'

  return (
    <Dialog open={open} onClose={onClose} title="Preview" description="The page as visitors will see it once published." size="lg">
      <div className="preview-bar">
        <div className="segmented" role="group" aria-label="Preview width">
          {DEVICES.map((d) => (
            <button key={d.id} type="button" className="segmented-btn" aria-pressed={device === d.id} onClick={() => setDevice(d.id)}>
              <Icon name={d.id === 'desktop' ? 'monitor' : d.id} size={16} />
              <span>{d.name}</span>
            </button>
          ))}
        </div>
        {stale ? <p className="muted preview-stale">Your latest changes aren’t saved, so they aren’t shown.</p> : null}
      </div>
      {error ? <FormError error={error} /> : null}
      <div className="preview-stage">
        {html !== null ? (
          <iframe className="preview-frame" title="Page preview" sandbox="" srcDoc={html} style={{ width }} />
        ) : !error ? (
          <div className="preview-loading">
            <Spinner size="md" label="Loading preview" />
          </div>
        ) : null}
      </div>
    </Dialog>
  )
}
