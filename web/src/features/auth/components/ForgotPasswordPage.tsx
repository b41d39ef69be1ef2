import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import { checkRequired, hasErrors, text, type FieldErrors } from '@/lib/form'
import { useRequestPasswordReset } from '../api/auth'
import { AuthCard } from './AuthCard'

export function ForgotPasswordPage() {
  const reset = useRequestPasswordReset()
  const [errors, setErrors] = useState<FieldErrors>({})
  const [sentTo, setSentTo] = useState<string | null>(null)

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const email = text(form, 'email')
    const found = checkRequired({ email }, { email: 'your email' })
    setErrors(found)
    if (hasErrors(found)) return
    const tenant = text(form, 'tenant')
    reset.mutate({ email, tenant: tenant || undefined }, { onSuccess: () => setSentTo(email) })
  }

  const footer = (
    <>
      Remembered it? <Link to="/login">Back to sign in</Link>
    </>
  )

  if (sentTo) {
    return (
      <AuthCard title="Check your email" footer={footer}>
        <Alert tone="success" title="Reset link on its way">
          If an account exists for <strong>{sentTo}</strong>, we've sent a link to choose a new password. It
          expires soon, so use it within the hour.
        </Alert>
      </AuthCard>
    )
  }

  const err = (p: string) => errors[p] ?? fieldError(reset.error, p)
  return (
    <AuthCard
      title="Reset your password"
      subtitle="Enter the email you sign in with and we'll send you a reset link."
      footer={footer}
    >
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField label="Email" name="email" type="email" autoComplete="email" error={err('/email')} />
        <TextField
          label="Workspace"
          name="tenant"
          optional
          hint="The workspace's short name. Only needed if you belong to several."
          error={err('/tenant')}
        />
        <FormError error={reset.error} fields={['/email', '/tenant']} />
        <Button type="submit" variant="primary" block loading={reset.isPending}>
          Send reset link
        </Button>
      </form>
    </AuthCard>
  )
}
