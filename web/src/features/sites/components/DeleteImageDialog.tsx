import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { Site, SiteAsset } from '@/lib/api/types'
import { useDeleteAsset } from '../api/sites'

interface DeleteImageDialogProps {
  site: Site
  asset: SiteAsset | null
  onClose: () => void
}

export function DeleteImageDialog({ site, asset, onClose }: DeleteImageDialogProps) {
  const remove = useDeleteAsset(site.id)
  const toast = useToast()

  const close = () => {
    remove.reset()
    onClose()
  }

  const confirm = () => {
    if (!asset) return
    remove.mutate(asset.id, {
      onSuccess: () => {
        toast({ title: 'Image deleted', description: asset.name })
        close()
      },
    })
  }

  return (
    <Dialog
      open={asset !== null}
      onClose={close}
      title="Delete image?"
      description={asset ? `${asset.name} and all its sizes are deleted. Pages that show it show nothing there after their next publish.` : undefined}
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={remove.isPending}>
            Keep image
          </Button>
          <Button variant="danger" onClick={confirm} loading={remove.isPending}>
            Delete image
          </Button>
        </>
      }
    >
      {remove.error ? <FormError error={remove.error} /> : null}
    </Dialog>
  )
}
