import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { AssistantDocument } from '@/lib/api/types'
import { useDeleteDocument } from '../api/documents'
import { plural } from '../utils/labels'

export function DeleteDocumentDialog({ doc, onClose }: { doc: AssistantDocument | null; onClose: () => void }) {
  const remove = useDeleteDocument()
  const toast = useToast()

  const close = () => {
    remove.reset()
    onClose()
  }

  const confirm = () => {
    if (!doc) return
    remove.mutate(doc.id, {
      onSuccess: () => {
        toast({ title: 'Document deleted', description: `${doc.title} no longer answers questions.` })
        close()
      },
    })
  }

  return (
    <Dialog
      open={doc !== null}
      onClose={close}
      title={doc ? `Delete ${doc.title}?` : 'Delete document?'}
      description={
        doc
          ? `The file ${doc.filename}${doc.chunks > 0 ? ` and its ${plural(doc.chunks, 'passage')}` : ''} are deleted. The assistant stops answering from it at once; past answers keep their text but their citations no longer open.`
          : undefined
      }
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={remove.isPending}>
            Keep document
          </Button>
          <Button variant="danger" onClick={confirm} loading={remove.isPending}>
            Delete document
          </Button>
        </>
      }
    >
      {remove.error ? <FormError error={remove.error} /> : null}
    </Dialog>
  )
}
