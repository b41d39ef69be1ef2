import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { Site } from '@/lib/api/types'
import { usePublish, useUnpublish } from '../api/sites'
import { hostOf } from '../utils/site'

interface PublishDialogProps {
  site: Site
  open: boolean
  onClose: () => void
  /** Runs before publishing, e.g. to save the page being edited; a rejection stops the publish. */
  before?: () => Promise<void>
  onPublished?: (site: Site) => void
}

/** Confirms a publish: every page, as saved now, goes live at the site's address. */
export function PublishDialog({ site, open, onClose, before, onPublished }: PublishDialogProps) {
  const publish = usePublish()
  const toast = useToast()
  const live = Boolean(site.published_at)

  const close = () => {
    publish.reset()
    onClose()
  }

  const confirm = async () => {
    try {
      await before?.()
    } catch {
      return
    }
    publish.mutate(site.id, {
      onSuccess: (res) => {
        const pages = res.paths.length
        toast({
          title: live ? 'Changes published' : 'Site published',
          description: `${pages} ${pages === 1 ? 'page is' : 'pages are'} live at ${hostOf(res.site.url)}.`,
        })
        onPublished?.(res.site)
        close()
      },
    })
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={live ? 'Publish changes?' : `Publish ${site.name}?`}
      description={
        live
          ? `Every page goes live as it is saved now, replacing what visitors see at ${hostOf(site.url)}.`
          : `Every page goes live as it is saved now, at ${hostOf(site.url)}. Anyone with the address can see it.`
      }
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={publish.isPending}>
            Cancel
          </Button>
          <Button variant="primary" icon="rocket" onClick={() => void confirm()} loading={publish.isPending}>
            {live ? 'Publish changes' : 'Publish site'}
          </Button>
        </>
      }
    >
      {publish.error ? <FormError error={publish.error} /> : null}
    </Dialog>
  )
}

interface UnpublishDialogProps {
  site: Site
  open: boolean
  onClose: () => void
}

export function UnpublishDialog({ site, open, onClose }: UnpublishDialogProps) {
  const unpublish = useUnpublish()
  const toast = useToast()

  const close = () => {
    unpublish.reset()
    onClose()
  }

  const confirm = () =>
    unpublish.mutate(site.id, {
      onSuccess: () => {
        toast({ title: 'Site taken down', description: `${hostOf(site.url)} no longer shows it. Its pages stay editable.` })
        close()
      },
    })

  return (
    <Dialog
      open={open}
      onClose={close}
      title={`Unpublish ${site.name}?`}
      description={`Visitors to ${hostOf(site.url)} will find nothing there until you publish again. The pages, images and form messages stay here.`}
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={unpublish.isPending}>
            Keep it live
          </Button>
          <Button variant="danger" onClick={confirm} loading={unpublish.isPending}>
            Unpublish
          </Button>
        </>
      }
    >
      {unpublish.error ? <FormError error={unpublish.error} /> : null}
    </Dialog>
  )
}
