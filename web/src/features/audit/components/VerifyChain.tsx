import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { FormError } from '@/components/ui/FormError'
import { useVerifyAudit } from '../api/audit'

export function VerifyChainButton({ verify }: { verify: ReturnType<typeof useVerifyAudit> }) {
  return (
    <Button icon="shieldCheck" onClick={() => verify.mutate()} loading={verify.isPending}>
      Verify chain
    </Button>
  )
}

/** The outcome of the last verification, if any. */
export function VerifyResult({ verify }: { verify: ReturnType<typeof useVerifyAudit> }) {
  if (verify.error) return <FormError error={verify.error} />
  const result = verify.data
  if (!result) return null
  const entries = `${result.checked} ${result.checked === 1 ? 'entry' : 'entries'}`
  if (result.ok) {
    return (
      <Alert tone="success" title="Audit chain intact">
        Checked {entries}. Every entry links to the one before it; nothing has been altered or removed.
      </Alert>
    )
  }
  return (
    <Alert tone="danger" title="Audit chain broken">
      {typeof result.first_bad_seq === 'number'
        ? `The chain breaks at entry #${result.first_bad_seq}`
        : 'The chain does not verify'}
      {result.reason ? `: ${result.reason}` : '.'} Checked {entries}. Entries from that point may have been altered;
      contact your administrator.
    </Alert>
  )
}
