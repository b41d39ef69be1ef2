import { useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import { PASSWORD_HINT, passwordProblem, raw } from '@/lib/form'
import { useConfirmPasswordReset } from '../api/auth'
import { AuthCard } from './AuthCard'
import { MissingToken } from './MissingToken'

export function ResetPasswordPage() {
  const [params] = useSearchParams()
  const token = params.get('token')
  const confirm = useConfirmPasswordReset()
  const [localError, setLocalError] = useState<string>()

  if (!token) return <MissingToken title="Choose a new password" what="password reset link" />

  if (confirm.isSuccess) {
    return (
      <AuthCard title="Password updated">
        <Alert tone="success">Your password has been changed. Sign in with your new password.</Alert>
        <Link className="btn btn-primary btn-md btn-block" to="/login">
          Go to sign in
        </Link>
      </AuthCard>
    )
  }

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const password = raw(new FormData(e.currentTarget), 'new_password')
    const problem = passwordProblem(password)
    setLocalError(problem)
    if (!problem) confirm.mutate({ token, new_password: password })
  }

  return (
    <AuthCard
      title="Choose a new password"
      subtitle="Pick something you haven't used here before."
      footer={
        <>
          Link expired? <Link to="/forgot-password">Request a new one</Link>
        </>
      }
    >
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_HINT}
          error={localError ?? fieldError(confirm.error, '/new_password', '/password')}
        />
        <FormError error={confirm.error} fields={['/new_password', '/password']} />
        <Button type="submit" variant="primary" block loading={confirm.isPending}>
          Save new password
        </Button>
      </form>
    </AuthCard>
  )
}
