import { Link } from 'react-router'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import { useInvoices } from '../api/billing'
import { formatMoney, localDate, periodDay, periodMonth } from '../utils/format'
import { InvoiceStatus } from './InvoiceStatus'

/** Issued invoices, newest first; each opens as a printable page. */
export function InvoicesCard({ firstIssueOn }: { firstIssueOn: string }) {
  const invoices = useInvoices(true)
  const list = invoices.data ?? []
  return (
    <Card title="Invoices" description="Issued on the first day of each month, for the month before." flush>
      {invoices.isPending ? <SkeletonRows rows={2} label="Loading invoices" /> : null}
      {invoices.error ? (
        <div className="card-pad">
          <FormError error={invoices.error} />
        </div>
      ) : null}
      {invoices.data && list.length === 0 ? (
        <EmptyState
          icon="list"
          title="No invoices yet"
          description={`The first one is issued on ${periodDay(firstIssueOn)}. Until then, "This month so far" shows what it will contain.`}
        />
      ) : null}
      {list.length > 0 ? (
        <Table
          caption="Invoices"
          head={
            <>
              <th scope="col">Invoice</th>
              <th scope="col">Period</th>
              <th scope="col">Issued</th>
              <th scope="col">Status</th>
              <th scope="col" className="cell-num">
                Total
              </th>
            </>
          }
        >
          {list.map((inv) => (
            <tr key={inv.id ?? inv.period_start}>
              <td data-label="Invoice">
                {inv.id ? (
                  <Link to={`/billing/invoices/${inv.id}`} className="code-link">
                    {inv.number ?? 'Invoice'}
                  </Link>
                ) : (
                  inv.number
                )}
              </td>
              <td data-label="Period">{periodMonth(inv.period_start)}</td>
              <td data-label="Issued">{inv.issued_at ? localDate(inv.issued_at) : '—'}</td>
              <td data-label="Status">
                <InvoiceStatus invoice={inv} />
              </td>
              <td data-label="Total" className="cell-num strong">
                {formatMoney(inv.total_cents, inv.currency)}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </Card>
  )
}
