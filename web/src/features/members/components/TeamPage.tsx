import { Alert } from '@/components/ui/Alert'
import { PageHeader } from '@/components/ui/PageHeader'
import { useMe } from '@/lib/api/me'
import { selfId } from '@/lib/identity'
import { assignableRoles, canManageAs } from '@/lib/roles'
import { InviteForm } from './InviteForm'
import { MembersCard } from './MembersCard'

export function TeamPage() {
  const me = useMe()
  const manage = canManageAs(me.data)
  const myRole = manage ? me.data?.role : undefined

  return (
    <div className="page">
      <PageHeader title="Team" description="Invite people to your workspace and decide what they can do." />
      {manage ? <InviteForm roles={assignableRoles(myRole)} /> : null}
      {me.data && !manage ? (
        <Alert tone="info">Only owners and admins can invite people or change roles.</Alert>
      ) : null}
      <MembersCard selfId={selfId(me.data)} myRole={myRole} />
    </div>
  )
}
