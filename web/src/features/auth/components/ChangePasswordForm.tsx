import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import { ApiError, fieldError } from '@/lib/api/problem'
import { PASSWORD_HINT, passwordProblem, raw, type FieldErrors } from '@/lib/form'
import { useChangePassword, useLogout } from '../api/auth'

const FIELDS = ['/current_password', '/new_password']

/** A wrong current password comes back as current_password_wrong on /current_password. */
function wrongCurrent(error: unknown): string | undefined {
  return error instanceof ApiError && error.code === 'current_password_wrong'
    ? "That isn't your current password. Check it and try again."
    : undefined
}

interface ChangePasswordFormProps {
  /** The signed-in person's email and workspace slug, to sign back in with the new password. */
  email: string
  tenant: string
}

export function ChangePasswordForm({ email, tenant }: ChangePasswordFormProps) {
  const change = useChangePassword()
  const logout = useLogout()
  const toast = useToast()
  const [errors, setErrors] = useState<FieldErrors>({})

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const formEl = e.currentTarget
    const form = new FormData(formEl)
    const body = { current_password: raw(form, 'current_password'), new_password: raw(form, 'new_password') }
    const found: FieldErrors = {}
    if (!body.current_password) found['/current_password'] = 'Enter your current password.'
    const weak = passwordProblem(body.new_password)
    if (weak) found['/new_password'] = weak
    setErrors(found)
    if (Object.keys(found).length > 0) return
    change.mutate(
      { ...body, email, tenant },
      {
        onSuccess: (session) => {
          formEl.reset()
          if (session) {
            toast({ title: 'Password changed', description: 'Other devices will need to sign in again.' })
          } else {
            toast({ title: 'Password changed', description: 'Sign in again with your new password.' })
            logout.mutate()
          }
        },
      },
    )
  }

  const currentError = errors['/current_password'] ?? wrongCurrent(change.error) ?? fieldError(change.error, '/current_password')
  const newError = errors['/new_password'] ?? fieldError(change.error, '/new_password', '/password')

  return (
    <Card title="Password" description="Change the password you use to sign in.">
      <form className="form form-narrow" onSubmit={onSubmit} noValidate>
        <TextField
          label="Current password"
          name="current_password"
          type="password"
          autoComplete="current-password"
          error={currentError}
        />
        <TextField
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_HINT}
          error={newError}
        />
        {wrongCurrent(change.error) ? null : <FormError error={change.error} fields={FIELDS} />}
        <div>
          <Button type="submit" variant="primary" loading={change.isPending}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  )
}
