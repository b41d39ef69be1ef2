import { useState } from 'react'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import type { Member, Role } from '@/lib/api/types'
import { assignableRoles, canActOn } from '@/lib/roles'
import { useMembers } from '../api/members'
import { MemberRow } from './MemberRow'
import { RemoveMemberDialog } from './RemoveMemberDialog'

interface MembersCardProps {
  /** The signed-in user's id (`Member.id` is the user id); undefined for an orphaned API key. */
  selfId: string | undefined
  /** The caller's role when they may manage the team; undefined when they may only look. */
  myRole: Role | undefined
}

export function MembersCard({ selfId, myRole }: MembersCardProps) {
  const members = useMembers()
  const [removing, setRemoving] = useState<Member | null>(null)
  const list = members.data ?? []
  const invited = list.filter((m) => m.status === 'invited').length

  const description = members.data
    ? `${list.length - invited} active${invited ? `, ${invited} invited` : ''}`
    : 'Everyone with access to this workspace.'

  return (
    <Card title="Members" description={description} flush>
      {members.isPending ? <SkeletonRows rows={3} label="Loading members" /> : null}
      {members.error ? (
        <div className="card-pad">
          <FormError error={members.error} />
        </div>
      ) : null}
      {members.data && list.length === 0 ? (
        <EmptyState icon="users" title="No members yet" description="Invite your first teammate below." />
      ) : null}
      {list.length > 0 ? (
        <Table
          caption="Workspace members"
          head={
            <>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </>
          }
        >
          {list.map((m) => (
            <MemberRow
              key={m.id}
              member={m}
              isSelf={selfId !== undefined && m.id === selfId}
              canManage={canActOn(myRole, m.role)}
              roles={assignableRoles(myRole)}
              onRemove={setRemoving}
            />
          ))}
        </Table>
      ) : null}
      <RemoveMemberDialog member={removing} onClose={() => setRemoving(null)} />
    </Card>
  )
}
