import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Table } from '@/components/ui/Table'
import type { PlatformOverview } from '@/lib/api/types'
import { formatMoney } from '@/lib/units'
import { workspacesOn } from '../utils/figures'

/** A count that reads as nothing when it is nothing, so the standings that matter stand out. */
function Count({ n }: { n: number }) {
  return n === 0 ? <span className="muted">0</span> : <span className="strong">{n.toLocaleString()}</span>
}

/** Workspaces on each plan by standing, and what each plan brings in every month. */
export function PlanRevenueCard({ overview }: { overview: PlatformOverview }) {
  const { plans, currency } = overview
  const total = plans.reduce((n, p) => n + workspacesOn(p), 0)
  return (
    <Card
      title="Plans"
      description="Workspaces on each plan by standing, and the monthly recurring revenue each plan brings in. Restricted workspaces pay nothing until they settle."
      flush
    >
      {plans.length === 0 ? (
        <EmptyState icon="home" title="No workspaces yet" description="When people sign up, their workspaces appear here by plan." />
      ) : (
        <Table
          caption="Plans"
          head={
            <>
              <th scope="col">Plan</th>
              <th scope="col" className="cell-num">
                Active
              </th>
              <th scope="col" className="cell-num">
                Trialing
              </th>
              <th scope="col" className="cell-num">
                Past due
              </th>
              <th scope="col" className="cell-num">
                Restricted
              </th>
              <th scope="col" className="cell-num">
                MRR
              </th>
            </>
          }
        >
          {plans.map((p) => (
            <tr key={p.plan}>
              <td data-label="Plan">
                <span className="cell-title">
                  <span className="strong">{p.name}</span>
                  <span className="muted">
                    {p.price_cents > 0 ? `${formatMoney(p.price_cents, currency)} / month` : 'No charge'} ·{' '}
                    {workspacesOn(p) === 1 ? '1 workspace' : `${workspacesOn(p).toLocaleString()} workspaces`}
                  </span>
                </span>
              </td>
              <td data-label="Active" className="cell-num">
                <Count n={p.active} />
              </td>
              <td data-label="Trialing" className="cell-num">
                <Count n={p.trialing} />
              </td>
              <td data-label="Past due" className="cell-num">
                <Count n={p.past_due} />
              </td>
              <td data-label="Restricted" className="cell-num">
                <Count n={p.restricted} />
              </td>
              <td data-label="MRR" className="cell-num strong">
                {formatMoney(p.mrr_cents, currency)}
              </td>
            </tr>
          ))}
          <tr className="row-total">
            <td data-label="Plan">
              <span className="cell-title">
                <span className="strong">All plans</span>
                <span className="muted">{total === 1 ? '1 workspace' : `${total.toLocaleString()} workspaces`}</span>
              </span>
            </td>
            <td data-label="Active" className="cell-num">
              <Count n={plans.reduce((n, p) => n + p.active, 0)} />
            </td>
            <td data-label="Trialing" className="cell-num">
              <Count n={plans.reduce((n, p) => n + p.trialing, 0)} />
            </td>
            <td data-label="Past due" className="cell-num">
              <Count n={plans.reduce((n, p) => n + p.past_due, 0)} />
            </td>
            <td data-label="Restricted" className="cell-num">
              <Count n={plans.reduce((n, p) => n + p.restricted, 0)} />
            </td>
            <td data-label="MRR" className="cell-num strong">
              {formatMoney(overview.mrr_cents, currency)}
            </td>
          </tr>
        </Table>
      )}
    </Card>
  )
}
