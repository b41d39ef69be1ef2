import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import { fieldError, hasCode } from '@/lib/api/problem'
import type { Invitation, Role } from '@/lib/api/types'
import { looksLikeEmail, text } from '@/lib/form'
import { useInviteMember } from '../api/members'
import { InviteResult } from './InviteResult'
import { PlanLimitNotice } from './PlanLimitNotice'
import { RoleSelect } from './RoleSelect'

const FIELDS = ['/email', '/role', '/name']

export function InviteForm({ roles }: { roles: readonly Role[] }) {
  const invite = useInviteMember()
  const toast = useToast()
  const [role, setRole] = useState<Role>('member')
  const [emailError, setEmailError] = useState<string>()
  const [result, setResult] = useState<Invitation | null>(null)

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const formEl = e.currentTarget
    const form = new FormData(formEl)
    const email = text(form, 'email')
    const name = text(form, 'name')
    const problem = !email
      ? 'Enter the email address to invite.'
      : looksLikeEmail(email)
        ? undefined
        : 'Enter a valid email address, like name@example.com.'
    setEmailError(problem)
    if (problem) return
    setResult(null)
    invite.mutate(
      { email, role, name: name || undefined },
      {
        onSuccess: (invitation) => {
          setResult(invitation)
          formEl.reset()
          setRole('member')
          toast({ title: 'Invitation created', description: `${invitation.member.email} can now join.` })
        },
      },
    )
  }

  return (
    <Card title="Invite a teammate" description="They'll get a link to set a password and join this workspace.">
      <form className="form" onSubmit={onSubmit} noValidate>
        <div className="form-grid">
          <TextField
            label="Email address"
            name="email"
            type="email"
            autoComplete="off"
            placeholder="name@example.com"
            error={emailError ?? fieldError(invite.error, '/email')}
          />
          <TextField label="Name" name="name" optional autoComplete="off" error={fieldError(invite.error, '/name')} />
        </div>
        <RoleSelect value={role} onChange={setRole} roles={roles} error={fieldError(invite.error, '/role')} />
        {hasCode(invite.error, 'plan_limit_reached') ? (
          <PlanLimitNotice error={invite.error} />
        ) : (
          <FormError error={invite.error} fields={FIELDS} />
        )}
        <div>
          <Button type="submit" variant="primary" icon="mail" loading={invite.isPending}>
            Send invite
          </Button>
        </div>
      </form>
      {result ? <InviteResult invitation={result} onDismiss={() => setResult(null)} /> : null}
    </Card>
  )
}
