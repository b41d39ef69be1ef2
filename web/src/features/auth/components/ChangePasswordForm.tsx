import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import { fieldError } from '@/lib/api/problem'
import { MIN_PASSWORD, PASSWORD_HINT, raw, type FieldErrors } from '@/lib/form'
import { useChangePassword } from '../api/auth'

const FIELDS = ['/current_password', '/new_password']

export function ChangePasswordForm() {
  const change = useChangePassword()
  const toast = useToast()
  const [errors, setErrors] = useState<FieldErrors>({})

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const formEl = e.currentTarget
    const form = new FormData(formEl)
    const body = { current_password: raw(form, 'current_password'), new_password: raw(form, 'new_password') }
    const found: FieldErrors = {}
    if (!body.current_password) found['/current_password'] = 'Enter your current password.'
    if (body.new_password.length < MIN_PASSWORD) found['/new_password'] = `Use at least ${MIN_PASSWORD} characters.`
    setErrors(found)
    if (Object.keys(found).length > 0) return
    change.mutate(body, {
      onSuccess: () => {
        formEl.reset()
        toast({ title: 'Password changed', description: 'Use your new password next time you sign in.' })
      },
    })
  }

  const err = (p: string) => errors[p] ?? fieldError(change.error, p)

  return (
    <Card title="Password" description="Change the password you use to sign in.">
      <form className="form form-narrow" onSubmit={onSubmit} noValidate>
        <TextField
          label="Current password"
          name="current_password"
          type="password"
          autoComplete="current-password"
          error={err('/current_password')}
        />
        <TextField
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_HINT}
          error={err('/new_password')}
        />
        <FormError error={change.error} fields={FIELDS} />
        <div>
          <Button type="submit" variant="primary" loading={change.isPending}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  )
}
