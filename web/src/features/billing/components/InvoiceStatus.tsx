import { Badge, type Tone } from '@/components/ui/Badge'
import type { Invoice } from '@/lib/api/types'

const INVOICE_STATUS: Record<string, { label: string; tone: Tone }> = {
  draft: { label: 'Draft', tone: 'neutral' },
  open: { label: 'Unpaid', tone: 'warning' },
  paid: { label: 'Paid', tone: 'success' },
  void: { label: 'Void', tone: 'neutral' },
}

/** Where nothing is collected, an open invoice is a record, not a debt: it reads "Issued". */
export function InvoiceStatus({ invoice }: { invoice: Invoice }) {
  const s: { label: string; tone: Tone } =
    invoice.status === 'open' && !invoice.payments_configured
      ? { label: 'Issued', tone: 'neutral' }
      : (INVOICE_STATUS[invoice.status] ?? { label: invoice.status, tone: 'neutral' })
  return <Badge tone={s.tone}>{s.label}</Badge>
}
