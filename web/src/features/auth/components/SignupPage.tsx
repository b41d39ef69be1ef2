import { useState, type FormEvent } from 'react'
import { Link, Navigate } from 'react-router'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import { useSession } from '@/lib/api/session'
import {
  checkRequired,
  hasErrors,
  looksLikeEmail,
  PASSWORD_HINT,
  passwordProblem,
  raw,
  text,
  type FieldErrors,
} from '@/lib/form'
import { useSignup } from '../api/auth'
import { AuthCard } from './AuthCard'

const FIELDS = ['/tenant_name', '/email', '/password']

export function SignupPage() {
  const session = useSession()
  const signup = useSignup()
  const [errors, setErrors] = useState<FieldErrors>({})

  if (session) return <Navigate to="/" replace />

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const values = {
      tenant_name: text(form, 'tenant_name'),
      email: text(form, 'email'),
      password: raw(form, 'password'),
    }
    const found = checkRequired(values, {
      tenant_name: 'your business name',
      email: 'your email',
      password: 'a password',
    })
    if (values.email && !looksLikeEmail(values.email)) found['/email'] = 'Enter a valid email address, like name@example.com.'
    if (values.password) found['/password'] = passwordProblem(values.password)
    setErrors(found)
    if (!hasErrors(found)) signup.mutate(values)
  }

  const err = (p: string) => errors[p] ?? fieldError(signup.error, p)

  return (
    <AuthCard
      title="Create your workspace"
      subtitle="Your website, inbox, assistant and billing in one place. Free to self-host."
      footer={
        <>
          Already have an account? <Link to="/login">Sign in</Link>
        </>
      }
    >
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField
          label="Business name"
          name="tenant_name"
          autoComplete="organization"
          hint="Shown to your team and customers. You can change it later."
          error={err('/tenant_name')}
        />
        <TextField label="Email" name="email" type="email" autoComplete="email" error={err('/email')} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_HINT}
          error={err('/password')}
        />
        <FormError error={signup.error} fields={FIELDS} />
        <Button type="submit" variant="primary" block loading={signup.isPending}>
          Create workspace
        </Button>
      </form>
    </AuthCard>
  )
}
