import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { Member } from '@/lib/api/types'
import { useRemoveMember } from '../api/members'

interface RemoveMemberDialogProps {
  member: Member | null
  onClose: () => void
}

export function RemoveMemberDialog({ member, onClose }: RemoveMemberDialogProps) {
  const remove = useRemoveMember()
  const toast = useToast()
  const invited = member?.status === 'invited'
  const who = member ? (member.name ?? member.email) : ''

  const close = () => {
    remove.reset()
    onClose()
  }

  const confirm = () => {
    if (!member) return
    remove.mutate(member.id, {
      onSuccess: () => {
        toast({ title: invited ? 'Invitation cancelled' : 'Member removed', description: who })
        close()
      },
    })
  }

  return (
    <Dialog
      open={member !== null}
      onClose={close}
      title={invited ? 'Cancel invitation?' : 'Remove member?'}
      description={
        invited
          ? `The invite link sent to ${who} will stop working.`
          : `${who} will lose access to this workspace immediately. Their past activity stays in the audit log.`
      }
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={remove.isPending}>
            {invited ? 'Keep invitation' : 'Keep member'}
          </Button>
          <Button variant="danger" onClick={confirm} loading={remove.isPending}>
            {invited ? 'Cancel invitation' : 'Remove member'}
          </Button>
        </>
      }
    >
      {remove.error ? <FormError error={remove.error} /> : null}
    </Dialog>
  )
}
