import { Alert } from '@/components/ui/Alert'
import { PageHeader } from '@/components/ui/PageHeader'
import { useMe } from '@/lib/api/me'
import { canManage } from '@/lib/roles'
import { InviteForm } from './InviteForm'
import { MembersCard } from './MembersCard'

export function TeamPage() {
  const me = useMe()
  const manage = canManage(me.data?.role)

  return (
    <div className="page">
      <PageHeader title="Team" description="Invite people to your workspace and decide what they can do." />
      {manage ? <InviteForm /> : null}
      {me.data && !manage ? (
        <Alert tone="info">Only owners and admins can invite people or change roles.</Alert>
      ) : null}
      <MembersCard selfEmail={me.data?.user.email} canManage={manage} />
    </div>
  )
}
