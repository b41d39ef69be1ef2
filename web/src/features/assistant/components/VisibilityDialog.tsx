import { useState } from 'react'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import { fieldError } from '@/lib/api/problem'
import type { AssistantDocument, Visibility } from '@/lib/api/types'
import { usePatchDocument } from '../api/documents'
import { VISIBILITY_LABEL } from '../utils/labels'
import { VisibilityChoice } from './VisibilityChoice'

interface VisibilityDialogProps {
  doc: AssistantDocument | null
  admin: boolean
  onClose: () => void
}

/** Who may read one document, and which clients when it is shared with them. */
export function VisibilityDialog({ doc, admin, onClose }: VisibilityDialogProps) {
  return (
    <Dialog open={doc !== null} onClose={onClose} title="Who may read it" size="md" description={doc ? doc.title : undefined}>
      {doc ? <VisibilityForm key={doc.id} doc={doc} admin={admin} onClose={onClose} /> : null}
    </Dialog>
  )
}

function VisibilityForm({ doc, admin, onClose }: { doc: AssistantDocument; admin: boolean; onClose: () => void }) {
  const patch = usePatchDocument()
  const toast = useToast()
  const [visibility, setVisibility] = useState<Visibility>(doc.visibility)
  const [sharedWith, setSharedWith] = useState<string[]>(doc.shared_with)
  const [clientsError, setClientsError] = useState<string>()

  const save = () => {
    if (visibility === 'clients' && sharedWith.length === 0) {
      setClientsError('Pick the clients who may read it, or choose another option.')
      return
    }
    patch.mutate(
      { id: doc.id, body: { visibility, shared_with: visibility === 'clients' ? sharedWith : [] } },
      {
        onSuccess: (saved) => {
          toast({ title: 'Visibility changed', description: `${saved.title}: ${VISIBILITY_LABEL[saved.visibility]}.` })
          onClose()
        },
      },
    )
  }

  return (
    <div className="stack">
      <VisibilityChoice
        legend="Visibility"
        value={visibility}
        onChange={(v) => {
          setVisibility(v)
          setClientsError(undefined)
        }}
        admin={admin}
        current={doc.visibility}
        sharedWith={sharedWith}
        onSharedWith={(ids) => {
          setSharedWith(ids)
          setClientsError(undefined)
        }}
        clientsError={clientsError ?? fieldError(patch.error, '/shared_with')}
      />
      <FormError error={patch.error} fields={['/shared_with']} />
      <div className="dialog-actions">
        <Button variant="ghost" onClick={onClose} disabled={patch.isPending}>
          Cancel
        </Button>
        <Button variant="primary" onClick={save} loading={patch.isPending}>
          Save
        </Button>
      </div>
    </div>
  )
}
