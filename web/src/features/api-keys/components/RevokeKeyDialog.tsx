import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { useToast } from '@/components/ui/toast-context'
import type { ApiKey } from '@/lib/api/types'
import { useRevokeApiKey } from '../api/apiKeys'

export function RevokeKeyDialog({ apiKey, onClose }: { apiKey: ApiKey | null; onClose: () => void }) {
  const revoke = useRevokeApiKey()
  const toast = useToast()

  const close = () => {
    revoke.reset()
    onClose()
  }

  const confirm = () => {
    if (!apiKey) return
    revoke.mutate(apiKey.id, {
      onSuccess: () => {
        toast({ title: 'API key revoked', description: apiKey.name })
        close()
      },
    })
  }

  return (
    <Dialog
      open={apiKey !== null}
      onClose={close}
      title="Revoke API key?"
      description={
        apiKey
          ? `Anything using “${apiKey.name}” (${apiKey.prefix}…) will stop working immediately. This can't be undone.`
          : undefined
      }
      footer={
        <>
          <Button variant="ghost" onClick={close} disabled={revoke.isPending}>
            Keep key
          </Button>
          <Button variant="danger" onClick={confirm} loading={revoke.isPending}>
            Revoke key
          </Button>
        </>
      }
    >
      {revoke.error ? <FormError error={revoke.error} /> : null}
    </Dialog>
  )
}
