import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { CopyField } from '@/components/ui/CopyField'
import type { Invitation } from '@/lib/api/types'

interface InviteResultProps {
  invitation: Invitation
  onDismiss: () => void
}

export function InviteResult({ invitation, onDismiss }: InviteResultProps) {
  const email = invitation.member.email
  return (
    <div className="invite-result">
      <Alert
        tone={invitation.email_sent ? 'success' : 'info'}
        title={invitation.email_sent ? `Invitation emailed to ${email}` : `Invitation ready for ${email}`}
      >
        {invitation.email_sent
          ? 'You can also share the link below with them directly.'
          : "Email isn't set up for this workspace, so nothing was sent. Share this link with them yourself."}
      </Alert>
      <CopyField label="Invite link" value={invitation.invite_url} mono />
      <div>
        <Button variant="ghost" size="sm" onClick={onDismiss}>
          Done
        </Button>
      </div>
    </div>
  )
}
