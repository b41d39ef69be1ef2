import { useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { TextField } from '@/components/ui/Input'
import { useToast } from '@/components/ui/toast-context'
import { fieldError } from '@/lib/api/problem'
import type { Site } from '@/lib/api/types'
import type { FieldErrors } from '@/lib/form'
import { useAddPage } from '../api/sites'
import { editorPath, pathFromTitle, pathProblem } from '../utils/site'

const FIELDS = ['/title', '/path']

interface AddPageDialogProps {
  site: Site
  open: boolean
  onClose: () => void
}

/** A new page in the template's look; its path follows the title until it is edited. */
export function AddPageDialog({ site, open, onClose }: AddPageDialogProps) {
  const add = useAddPage(site.id)
  const toast = useToast()
  const navigate = useNavigate()
  const [title, setTitle] = useState('')
  const [path, setPath] = useState('')
  const [pathEdited, setPathEdited] = useState(false)
  const [errors, setErrors] = useState<FieldErrors>({})
  const shownPath = pathEdited ? path : pathFromTitle(title)

  const close = () => {
    add.reset()
    setTitle('')
    setPath('')
    setPathEdited(false)
    setErrors({})
    onClose()
  }

  const submit = (open: boolean) => (e?: FormEvent) => {
    e?.preventDefault()
    const t = title.trim()
    const found: FieldErrors = {
      '/title': t ? (t.length > 120 ? 'Use at most 120 characters.' : undefined) : 'Enter the page’s title.',
      '/path': pathProblem(shownPath),
    }
    setErrors(found)
    if (Object.values(found).some(Boolean)) return
    add.mutate(
      { title: t, path: shownPath },
      {
        onSuccess: (page) => {
          toast({ title: 'Page added', description: `${page.title} at ${page.path}` })
          close()
          if (open) navigate(editorPath(site.id, page.id))
        },
      },
    )
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Add a page"
      description="It starts in your template’s look with a heading and a paragraph to edit."
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={add.isPending}>
            Cancel
          </Button>
          <Button onClick={submit(false)} disabled={add.isPending}>
            Add page
          </Button>
          <Button variant="primary" onClick={submit(true)} loading={add.isPending}>
            Add and edit
          </Button>
        </>
      }
    >
      <form className="form" onSubmit={submit(true)} noValidate>
        <TextField
          label="Title"
          name="title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={120}
          autoComplete="off"
          placeholder="About us"
          hint="Shown in the browser tab and in search results."
          error={errors['/title'] ?? fieldError(add.error, '/title')}
        />
        <TextField
          label="Path"
          name="path"
          value={shownPath}
          onChange={(e) => {
            setPathEdited(true)
            setPath(e.target.value.toLowerCase())
          }}
          maxLength={100}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="/about"
          hint="Where it answers on the site, like /about or /services/cakes."
          error={errors['/path'] ?? fieldError(add.error, '/path')}
        />
        <FormError error={add.error} fields={FIELDS} />
        <button type="submit" hidden tabIndex={-1} aria-hidden="true" />
      </form>
    </Dialog>
  )
}
