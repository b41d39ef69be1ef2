import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { Site, SitePage } from '@/lib/api/types'
import { useDeletePage } from '../api/sites'

interface DeletePageDialogProps {
  site: Site
  page: SitePage | null
  onClose: () => void
}

export function DeletePageDialog({ site, page, onClose }: DeletePageDialogProps) {
  const remove = useDeletePage(site.id)
  const toast = useToast()

  const close = () => {
    remove.reset()
    onClose()
  }

  const confirm = () => {
    if (!page) return
    remove.mutate(page.id, {
      onSuccess: () => {
        toast({ title: 'Page deleted', description: `${page.title} (${page.path})` })
        close()
      },
    })
  }

  return (
    <Dialog
      open={page !== null}
      onClose={close}
      title="Delete page?"
      description={
        page
          ? `${page.title} (${page.path}) and all its saved versions are deleted. ${site.published_at ? 'The live site keeps showing it until you publish again.' : ''}`
          : undefined
      }
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={remove.isPending}>
            Keep page
          </Button>
          <Button variant="danger" onClick={confirm} loading={remove.isPending}>
            Delete page
          </Button>
        </>
      }
    >
      {remove.error ? <FormError error={remove.error} /> : null}
    </Dialog>
  )
}
