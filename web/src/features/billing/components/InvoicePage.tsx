import { Link, useParams } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { Icon } from '@/components/ui/Icon'
import { PageHeader } from '@/components/ui/PageHeader'
import { Skeleton, SkeletonRows } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import { hasCode } from '@/lib/api/problem'
import { canManage } from '@/lib/roles'
import { useInvoice } from '../api/billing'
import { localDate, periodMonth, periodRange } from '../utils/format'
import { InvoiceLines } from './InvoiceLines'
import { InvoiceStatus } from './InvoiceStatus'

function BackLink() {
  return (
    <Link to="/billing" className="back-link no-print">
      <Icon name="arrowLeft" size={16} />
      Billing
    </Link>
  )
}

/** One issued invoice as a document: the app's chrome disappears when it is printed. */
export function InvoicePage() {
  const { id = '' } = useParams()
  const me = useMe()
  const allowed = canManage(me.data?.role)
  const invoice = useInvoice(id, allowed)
  const inv = invoice.data

  if (me.data && !allowed) {
    return (
      <div className="page">
        <BackLink />
        <Card>
          <EmptyState icon="shield" title="Owners and admins only" description="Invoices show what the workspace pays, so only owners and admins can read them." />
        </Card>
      </div>
    )
  }

  if (invoice.error) {
    return (
      <div className="page">
        <BackLink />
        <Card>
          {hasCode(invoice.error, 'invoice_not_found') ? (
            <EmptyState
              icon="list"
              title="Invoice not found"
              description="It doesn't exist in this workspace. The list on the Billing page has every invoice issued."
            />
          ) : (
            <div className="card-pad">
              <FormError error={invoice.error} />
            </div>
          )}
        </Card>
      </div>
    )
  }

  return (
    <div className="page invoice-page">
      <BackLink />
      <PageHeader
        title={inv?.number ? `Invoice ${inv.number}` : 'Invoice'}
        description={inv ? `${inv.billed_to} · ${periodMonth(inv.period_start)}` : undefined}
        actions={
          <Button icon="printer" onClick={() => window.print()} disabled={!inv} className="no-print">
            Print
          </Button>
        }
      />
      {inv && !inv.payments_configured ? (
        <Alert tone="info">Payment collection is not configured on this installation; this invoice is for your records.</Alert>
      ) : null}
      <Card className="invoice" flush>
        {inv ? (
          <>
            <div className="invoice-head">
              <div>
                <p className="invoice-from">StackPro</p>
                <p className="muted">Billed to</p>
                <p className="strong">{inv.billed_to}</p>
              </div>
              <dl className="invoice-meta">
                <div>
                  <dt>Invoice number</dt>
                  <dd className="strong">{inv.number ?? '—'}</dd>
                </div>
                <div>
                  <dt>Issued</dt>
                  <dd>{inv.issued_at ? localDate(inv.issued_at) : '—'}</dd>
                </div>
                <div>
                  <dt>Period</dt>
                  <dd>{periodRange(inv.period_start, inv.period_end)}</dd>
                </div>
                <div>
                  <dt>Status</dt>
                  <dd>
                    <InvoiceStatus invoice={inv} />
                    {inv.paid_at ? <span className="muted"> on {localDate(inv.paid_at)}</span> : null}
                  </dd>
                </div>
              </dl>
            </div>
            <InvoiceLines invoice={inv} />
          </>
        ) : (
          <div className="card-pad stack-sm" role="status" aria-label="Loading invoice">
            <Skeleton width="40%" height="1.2rem" />
            <Skeleton width="25%" />
            <SkeletonRows rows={3} label="Loading invoice lines" />
          </div>
        )}
      </Card>
      {inv ? <p className="muted invoice-foot">Amounts in {inv.currency.toUpperCase()}. Usage lines show what was used beyond what the plan includes.</p> : null}
    </div>
  )
}
