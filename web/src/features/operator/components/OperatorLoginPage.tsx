import { useState, type FormEvent } from 'react'
import { Link, Navigate } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import { operatorSessionStore, useOperatorSession } from '@/lib/api/operatorSession'
import { checkRequired, hasErrors, raw, text, type FieldErrors } from '@/lib/form'
import { useOperatorLogin } from '../api/operator'

const FIELDS = ['/email', '/password']

/** The console's sign-in, separate from the workspaces': operators are made on the server. */
export function OperatorLoginPage() {
  const session = useOperatorSession()
  const login = useOperatorLogin()
  const [errors, setErrors] = useState<FieldErrors>({})
  const [ended] = useState(() => operatorSessionStore.lastEnd())

  if (session) return <Navigate to="/operator" replace />

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const values = { email: text(form, 'email'), password: raw(form, 'password') }
    const found = checkRequired(values, { email: 'your email', password: 'your password' })
    setErrors(found)
    if (hasErrors(found)) return
    login.mutate(values)
  }

  const err = (p: string) => errors[p] ?? fieldError(login.error, p)

  return (
    <div className="auth-card">
      <div className="auth-card-head">
        <p className="auth-eyebrow">Operator console</p>
        <h1 className="auth-title">Sign in to the console</h1>
        <p className="auth-subtitle">
          For the people who run this StackPro installation: revenue, plans and usage across every workspace.
        </p>
      </div>
      {ended === 'expired' && !login.error ? (
        <Alert tone="info">Your console session has ended. Please sign in again.</Alert>
      ) : null}
      {ended === 'signed_out' && !login.error ? <Alert tone="success">You have signed out of the console.</Alert> : null}
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField label="Email" name="email" type="email" autoComplete="username" error={err('/email')} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" error={err('/password')} />
        <FormError error={login.error} fields={FIELDS} />
        <Button type="submit" variant="primary" block loading={login.isPending}>
          Sign in
        </Button>
      </form>
      <p className="auth-note">
        Operators are created on the server with <code>stackpro operator create EMAIL</code>, which prints a password. A
        workspace account doesn't open the console.
      </p>
      <div className="auth-footer">
        Looking for your workspace? <Link to="/login">Sign in to a workspace</Link>
      </div>
    </div>
  )
}
