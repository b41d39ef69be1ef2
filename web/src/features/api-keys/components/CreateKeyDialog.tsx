import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { Checkbox, TextField } from '@/components/ui/Input'
import { fieldError } from '@/lib/api/problem'
import type { Scope } from '@/lib/api/types'
import { text } from '@/lib/form'
import { isScope, SCOPE_HELP, SCOPES } from '@/lib/roles'
import { useCreateApiKey } from '../api/apiKeys'
import { SecretReveal } from './SecretReveal'

const SCOPE_LABEL: Record<Scope, string> = { read: 'Read', write: 'Write', admin: 'Admin' }

export function CreateKeyDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateApiKey()
  const [errors, setErrors] = useState<{ name?: string; scopes?: string }>({})

  const close = () => {
    create.reset()
    setErrors({})
    onClose()
  }

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const name = text(form, 'name')
    const scopes = form.getAll('scopes').filter(isScope)
    const found = {
      name: name ? undefined : 'Give the key a name so you can recognise it later.',
      scopes: scopes.length ? undefined : 'Choose at least one scope.',
    }
    setErrors(found)
    if (!found.name && !found.scopes) create.mutate({ name, scopes })
  }

  if (create.data) {
    return (
      <Dialog
        open={open}
        onClose={close}
        size="md"
        title="API key created"
        footer={<Button variant="primary" onClick={close}>I've saved the secret</Button>}
      >
        <SecretReveal created={create.data} />
      </Dialog>
    )
  }

  return (
    <Dialog open={open} onClose={close} size="md" title="Create API key" description="Keys let scripts and other services call the StackPro API as this workspace.">
      <form id="create-key" className="form" onSubmit={onSubmit} noValidate>
        <TextField
          label="Key name"
          name="name"
          placeholder="e.g. Zapier sync"
          autoComplete="off"
          error={errors.name ?? fieldError(create.error, '/name')}
        />
        <fieldset className="fieldset">
          <legend className="field-label">Scopes</legend>
          {SCOPES.map((s) => (
            <Checkbox key={s} name="scopes" value={s} label={SCOPE_LABEL[s]} description={SCOPE_HELP[s]} defaultChecked={s === 'read'} />
          ))}
          {errors.scopes ?? fieldError(create.error, '/scopes') ? (
            <p className="field-error">{errors.scopes ?? fieldError(create.error, '/scopes')}</p>
          ) : null}
          <p className="field-hint">
            The key acts for you: it never does more than your own role allows, and it stops working if
            you leave the workspace.
          </p>
        </fieldset>
        <FormError error={create.error} fields={['/name', '/scopes']} />
        <div className="dialog-actions">
          <Button variant="ghost" onClick={close} disabled={create.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" loading={create.isPending}>
            Create key
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
