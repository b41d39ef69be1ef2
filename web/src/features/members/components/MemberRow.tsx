import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Select } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import { problemMessage } from '@/lib/api/problem'
import type { Member, Role } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { isRole, ROLE_LABEL } from '@/lib/roles'
import { useUpdateMemberRole } from '../api/members'
import { Avatar } from './Avatar'

interface MemberRowProps {
  member: Member
  isSelf: boolean
  /** Whether the caller may change this member's role or remove them. */
  canManage: boolean
  /** The roles the caller may give. */
  roles: readonly Role[]
  onRemove: (member: Member) => void
}

export function MemberRow({ member, isSelf, canManage, roles, onRemove }: MemberRowProps) {
  const update = useUpdateMemberRole()
  const toast = useToast()
  const who = member.name ?? member.email

  const changeRole = (role: Role) =>
    update.mutate(
      { id: member.id, role },
      {
        onSuccess: () => toast({ title: 'Role updated', description: `${who} is now ${ROLE_LABEL[role].toLowerCase()}.` }),
        onError: (e) => toast({ tone: 'danger', title: "Couldn't change role", description: problemMessage(e) }),
      },
    )

  return (
    <tr>
      <td data-label="Member">
        <div className="member-cell">
          <Avatar email={member.email} name={member.name} />
          <div className="member-text">
            <span className="member-line">
              <span className="member-name">{member.name ?? member.email}</span>
              {isSelf ? <Badge>You</Badge> : null}
            </span>
            {member.name ? <span className="member-email">{member.email}</span> : null}
          </div>
        </div>
      </td>
      <td data-label="Role">
        {canManage && !isSelf ? (
          <Select
            className="select-compact"
            aria-label={`Role for ${member.email}`}
            value={member.role}
            disabled={update.isPending}
            onChange={(e) => {
              if (isRole(e.target.value)) changeRole(e.target.value)
            }}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </Select>
        ) : (
          <Badge tone={member.role === 'owner' ? 'accent' : 'neutral'}>{ROLE_LABEL[member.role]}</Badge>
        )}
      </td>
      <td data-label="Status">
        {member.status === 'invited' ? <Badge tone="warning">Invited</Badge> : <Badge tone="success">Active</Badge>}
      </td>
      <td data-label="Last sign-in">
        {member.last_login_at ? (
          <time dateTime={member.last_login_at} title={absoluteTime(member.last_login_at)}>
            {relativeTime(member.last_login_at)}
          </time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td className="cell-actions">
        {canManage && !isSelf ? (
          <Button variant="ghost" size="sm" className="is-danger" onClick={() => onRemove(member)} aria-label={`${member.status === 'invited' ? 'Cancel invite' : 'Remove'} ${member.email}`}>
            {member.status === 'invited' ? 'Cancel invite' : 'Remove'}
          </Button>
        ) : null}
      </td>
    </tr>
  )
}
