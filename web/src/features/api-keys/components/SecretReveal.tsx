import { Alert } from '@/components/ui/Alert'
import { CopyField } from '@/components/ui/CopyField'
import type { CreatedApiKey } from '@/lib/api/types'

/** The only time the full secret is ever shown. */
export function SecretReveal({ created }: { created: CreatedApiKey }) {
  return (
    <div className="stack">
      <Alert tone="warning" title="Copy this secret now">
        This is the only time we'll show it. Store it in a password manager or your deployment's secrets. If you
        lose it, revoke the key and create a new one.
      </Alert>
      <CopyField
        label="Secret key"
        value={created.secret}
        mono
        hint={`Send it in the "Authorization: Bearer <secret>" header. In the list of keys it appears as ${created.api_key.prefix}…`}
      />
    </div>
  )
}
