import { useState, type FormEvent } from 'react'
import { Link, Navigate, useSearchParams } from 'react-router'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import { PASSWORD_HINT, passwordProblem, raw, text } from '@/lib/form'
import { useAcceptInvitation } from '../api/auth'
import { AuthCard } from './AuthCard'
import { MissingToken } from './MissingToken'

export function AcceptInvitePage() {
  const [params] = useSearchParams()
  const token = params.get('token')
  const accept = useAcceptInvitation()
  const [localError, setLocalError] = useState<string>()

  if (!token) return <MissingToken title="Join your team" what="invitation link" />
  if (accept.isSuccess) return <Navigate to="/" replace />

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const password = raw(form, 'password')
    const name = text(form, 'name')
    const problem = passwordProblem(password)
    setLocalError(problem)
    if (!problem) accept.mutate({ token, password, name: name || undefined })
  }

  return (
    <AuthCard
      title="Join your team"
      subtitle="You've been invited to a StackPro workspace. Set a password to accept."
      footer={
        <>
          Already accepted? <Link to="/login">Sign in</Link>
        </>
      }
    >
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField label="Your name" name="name" autoComplete="name" optional error={fieldError(accept.error, '/name')} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_HINT}
          error={localError ?? fieldError(accept.error, '/password')}
        />
        <FormError error={accept.error} fields={['/name', '/password']} />
        <Button type="submit" variant="primary" block loading={accept.isPending}>
          Accept invitation
        </Button>
      </form>
    </AuthCard>
  )
}
