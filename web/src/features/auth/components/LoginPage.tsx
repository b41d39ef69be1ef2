import { useState, type FormEvent } from 'react'
import { Link, Navigate, useSearchParams } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import { sessionStore, useSession } from '@/lib/api/session'
import { checkRequired, hasErrors, raw, text, type FieldErrors } from '@/lib/form'
import { useLogin } from '../api/auth'
import { AuthCard } from './AuthCard'
import { safeNext } from './safeNext'

const FIELDS = ['/email', '/password', '/tenant']

export function LoginPage() {
  const [params] = useSearchParams()
  const session = useSession()
  const login = useLogin()
  const [errors, setErrors] = useState<FieldErrors>({})
  const [showWorkspace, setShowWorkspace] = useState(Boolean(params.get('workspace')))
  const [expired] = useState(() => sessionStore.lastEnd() === 'expired')

  if (session) return <Navigate to={safeNext(params.get('next'))} replace />

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const values = { email: text(form, 'email'), password: raw(form, 'password') }
    const found = checkRequired(values, { email: 'your email', password: 'your password' })
    setErrors(found)
    if (hasErrors(found)) return
    const tenant = text(form, 'tenant')
    login.mutate({ ...values, tenant: tenant || undefined })
  }

  const err = (p: string) => errors[p] ?? fieldError(login.error, p)

  return (
    <AuthCard
      title="Sign in"
      subtitle="Welcome back. Sign in to your StackPro workspace."
      footer={
        <>
          New to StackPro? <Link to="/signup">Create a workspace</Link>
        </>
      }
    >
      {expired && !login.error ? (
        <Alert tone="info">Your session has ended. Please sign in again.</Alert>
      ) : null}
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField label="Email" name="email" type="email" autoComplete="email" error={err('/email')} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          error={err('/password')}
        />
        <div className="form-row-end">
          <Link to="/forgot-password">Forgot password?</Link>
        </div>
        {showWorkspace ? (
          <TextField
            label="Workspace"
            name="tenant"
            optional
            defaultValue={params.get('workspace') ?? ''}
            hint="The workspace's short name, like acme-bakery. Without it, you sign in to the first workspace you joined with this email."
            error={err('/tenant')}
          />
        ) : (
          <button type="button" className="link-btn" onClick={() => setShowWorkspace(true)}>
            Signing in to a specific workspace?
          </button>
        )}
        <FormError error={login.error} fields={FIELDS} />
        <Button type="submit" variant="primary" block loading={login.isPending}>
          Sign in
        </Button>
      </form>
    </AuthCard>
  )
}
