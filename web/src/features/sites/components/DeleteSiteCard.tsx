import { useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import type { Site } from '@/lib/api/types'
import { useDeleteSite } from '../api/sites'
import { hostOf } from '../utils/site'

/** Deleting is for good, so the site's subdomain must be typed to confirm it. */
export function DeleteSiteCard({ site }: { site: Site }) {
  const [open, setOpen] = useState(false)
  const [typed, setTyped] = useState('')
  const remove = useDeleteSite()
  const toast = useToast()
  const navigate = useNavigate()
  const matches = typed.trim() === site.slug

  const close = () => {
    remove.reset()
    setTyped('')
    setOpen(false)
  }

  const confirm = (e?: FormEvent) => {
    e?.preventDefault()
    if (!matches) return
    remove.mutate(site.id, {
      onSuccess: () => {
        toast({ title: 'Site deleted', description: `${site.name} and everything in it are gone.` })
        navigate('/sites', { replace: true })
      },
    })
  }

  return (
    <Card className="danger-zone" title="Danger zone">
      <div className="danger-row">
        <div>
          <p className="strong">Delete this site</p>
          <p className="muted">
            Its pages, saved versions, images and form messages are deleted, and {hostOf(site.url)} stops answering at once. This can’t be undone.
          </p>
        </div>
        <Button variant="danger" icon="trash" onClick={() => setOpen(true)}>
          Delete site
        </Button>
      </div>
      <Dialog
        open={open}
        onClose={close}
        title={`Delete ${site.name}?`}
        description="Everything in the site is deleted for good and its address stops answering."
        footer={
          <>
            <Button variant="ghost" onClick={close} disabled={remove.isPending}>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => confirm()} disabled={!matches} loading={remove.isPending}>
              Delete site
            </Button>
          </>
        }
      >
        <form className="form" onSubmit={confirm} noValidate>
          <TextField
            label={`Type ${site.slug} to confirm`}
            name="confirm"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            placeholder={site.slug}
          />
          <FormError error={remove.error} />
        </form>
      </Dialog>
    </Card>
  )
}
