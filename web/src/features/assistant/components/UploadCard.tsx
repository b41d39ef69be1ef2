import { useRef, useState, type DragEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { Icon } from '@/components/ui/Icon'
import { useToast } from '@/components/ui/toast-context'
import type { AssistantDocument, Visibility } from '@/lib/api/types'
import { DOCUMENT_ACCEPT, DOCUMENT_TYPES_TEXT, type UploadItem, type UploadOptions } from '../api/upload'
import { UploadItems } from './UploadItems'
import { VisibilityChoice } from './VisibilityChoice'

interface UploadCardProps {
  admin: boolean
  items: readonly UploadItem[]
  upload: (files: readonly File[], options: UploadOptions) => Promise<AssistantDocument[]>
  dismiss: (key: number) => void
}

/** Adds documents: a visibility for them, then files chosen or dropped, several at once. */
export function UploadCard({ admin, items, upload, dismiss }: UploadCardProps) {
  const toast = useToast()
  const input = useRef<HTMLInputElement>(null)
  const [dragging, setDragging] = useState(false)
  const [visibility, setVisibility] = useState<Visibility>('team')
  const [sharedWith, setSharedWith] = useState<string[]>([])
  const [clientsError, setClientsError] = useState<string>()
  const newItems = items.filter((i) => i.target === null)
  const busy = newItems.some((i) => i.state !== 'failed')

  const send = async (files: FileList | null) => {
    if (!files || files.length === 0) return
    if (visibility === 'clients' && sharedWith.length === 0) {
      setClientsError('Pick the clients who may read these documents, or choose another option.')
      if (input.current) input.current.value = ''
      return
    }
    setClientsError(undefined)
    const list = Array.from(files)
    if (input.current) input.current.value = ''
    const done = await upload(list, { visibility, sharedWith })
    if (done.length > 0) {
      toast({
        title: done.length === 1 ? 'Document uploaded' : `${done.length} documents uploaded`,
        description: `${done.map((d) => d.title).join(', ')}: the assistant is reading ${done.length === 1 ? 'it' : 'them'} now.`,
      })
    }
  }

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault()
    setDragging(false)
    void send(e.dataTransfer.files)
  }

  return (
    <Card title="Add documents" description={`${DOCUMENT_TYPES_TEXT}, up to 25 MB each. The assistant reads them into passages it can search and quote.`}>
      <div className="stack">
        <VisibilityChoice
          legend="Who may read them"
          value={visibility}
          onChange={(v) => {
            setVisibility(v)
            setClientsError(undefined)
          }}
          admin={admin}
          sharedWith={sharedWith}
          onSharedWith={(ids) => {
            setSharedWith(ids)
            setClientsError(undefined)
          }}
          clientsError={clientsError}
        />
        <div
          className={dragging ? 'drop-zone is-dragging' : 'drop-zone'}
          onDragOver={(e) => {
            e.preventDefault()
            e.dataTransfer.dropEffect = 'copy'
            setDragging(true)
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <input
            ref={input}
            type="file"
            accept={DOCUMENT_ACCEPT}
            multiple
            className="visually-hidden"
            tabIndex={-1}
            aria-label="Choose documents to upload"
            onChange={(e) => void send(e.target.files)}
          />
          <span className="drop-zone-icon" aria-hidden="true">
            <Icon name="upload" size={20} />
          </span>
          <p className="drop-zone-text">
            <span className="strong">Drop files here</span>
            <span className="muted"> or</span>
          </p>
          <Button variant="primary" icon="upload" onClick={() => input.current?.click()} loading={busy}>
            {busy ? 'Uploading…' : 'Choose files'}
          </Button>
          <p className="muted drop-zone-hint">.pdf, .docx, .txt, .md, .html · several at once</p>
        </div>
        <UploadItems items={newItems} onDismiss={dismiss} />
      </div>
    </Card>
  )
}
