import { Badge } from '@/components/ui/Badge'
import { Table } from '@/components/ui/Table'
import type { Invoice, InvoiceLine } from '@/lib/api/types'
import { formatMoney, formatQuantity } from '../utils/format'
import { METER_UNIT } from '../utils/plans'

const KIND_LABEL: Record<string, string> = { plan: 'Plan', usage: 'Usage', adjustment: 'Adjustment' }

function quantity(line: InvoiceLine): string {
  if (line.kind === 'usage' && line.meter) return formatQuantity(line.quantity, METER_UNIT[line.meter], line.meter)
  return line.quantity.toLocaleString()
}

/** An invoice's lines and total; usage lines say what was used against what was included. */
export function InvoiceLines({ invoice }: { invoice: Invoice }) {
  return (
    <>
      <Table
        caption="Invoice lines"
        head={
          <>
            <th scope="col">Description</th>
            <th scope="col">Type</th>
            <th scope="col" className="cell-num">
              Quantity
            </th>
            <th scope="col" className="cell-num">
              Amount
            </th>
          </>
        }
      >
        {invoice.lines.map((line, i) => (
          <tr key={i}>
            <td data-label="Description">
              <span className="strong">{line.description}</span>
            </td>
            <td data-label="Type">
              <Badge tone={line.kind === 'usage' ? 'accent' : 'neutral'}>{KIND_LABEL[line.kind] ?? line.kind}</Badge>
            </td>
            <td data-label="Quantity" className="cell-num">
              {quantity(line)}
            </td>
            <td data-label="Amount" className="cell-num">
              {formatMoney(line.amount_cents, invoice.currency)}
            </td>
          </tr>
        ))}
      </Table>
      <div className="invoice-total">
        <span>Total</span>
        <span className="invoice-total-amount">{formatMoney(invoice.total_cents, invoice.currency)}</span>
      </div>
    </>
  )
}
