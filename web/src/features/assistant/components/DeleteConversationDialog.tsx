import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { ConversationSummary } from '@/lib/api/types'
import { useDeleteConversation } from '../api/assistant'

interface DeleteConversationDialogProps {
  conversation: ConversationSummary | null
  onClose: () => void
  onDeleted: (id: string) => void
}

export function DeleteConversationDialog({ conversation, onClose, onDeleted }: DeleteConversationDialogProps) {
  const remove = useDeleteConversation()
  const toast = useToast()

  const close = () => {
    remove.reset()
    onClose()
  }

  const confirm = () => {
    if (!conversation) return
    remove.mutate(conversation.id, {
      onSuccess: () => {
        toast({ title: 'Conversation deleted', description: conversation.title })
        onDeleted(conversation.id)
        close()
      },
    })
  }

  return (
    <Dialog
      open={conversation !== null}
      onClose={close}
      title="Delete conversation?"
      description={conversation ? `“${conversation.title}” and all its messages are deleted. Your documents are not touched.` : undefined}
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={remove.isPending}>
            Keep it
          </Button>
          <Button variant="danger" onClick={confirm} loading={remove.isPending}>
            Delete conversation
          </Button>
        </>
      }
    >
      {remove.error ? <FormError error={remove.error} /> : null}
    </Dialog>
  )
}
