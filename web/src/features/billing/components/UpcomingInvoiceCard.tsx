import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import type { Invoice } from '@/lib/api/types'
import { formatMoney, periodDay, periodMonth } from '../utils/format'
import { InvoiceLines } from './InvoiceLines'

/** This period's invoice as it stands today; it is issued, numbered and frozen when the period ends. */
export function UpcomingInvoiceCard({ invoice }: { invoice: Invoice }) {
  return (
    <Card
      title="This month so far"
      description={`Draft for ${periodMonth(invoice.period_start)}, issued on ${periodDay(invoice.period_end)}. It changes as you use StackPro.`}
      flush
    >
      {invoice.lines.length > 0 ? (
        <InvoiceLines invoice={invoice} />
      ) : (
        <EmptyState
          icon="card"
          title={`${formatMoney(0, invoice.currency)} so far`}
          description="Nothing to charge yet this month. Plan fees and any use beyond your allowance appear here."
        />
      )}
    </Card>
  )
}
