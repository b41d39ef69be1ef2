import { Badge } from '@/components/ui/Badge'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Table } from '@/components/ui/Table'
import type { PastDueTenant } from '@/lib/api/types'
import { localDate } from '../utils/figures'

/** "3 December 2026" while the grace period runs, "Dropped on 1 December 2026" once restricted. */
function LimitsDrop({ tenant }: { tenant: PastDueTenant }) {
  if (!tenant.restricted_at) return <span className="muted">—</span>
  if (tenant.status === 'restricted') return <>Dropped on {localDate(tenant.restricted_at)}</>
  return <>On {localDate(tenant.restricted_at)}</>
}

/** Workspaces whose payment failed, longest overdue first. */
export function PastDueCard({ pastDue, planName }: { pastDue: PastDueTenant[]; planName: (key: string) => string }) {
  return (
    <Card
      title="Past-due workspaces"
      description="A failed payment starts a grace period; after it, the workspace's limits drop to the free level until it pays. Nothing is deleted."
      flush
    >
      {pastDue.length === 0 ? (
        <EmptyState
          icon="checkCircle"
          title="No workspace is behind on payment"
          description="When a payment fails, the workspace shows here with the date its limits drop to the free level."
        />
      ) : (
        <Table
          caption="Past-due workspaces"
          head={
            <>
              <th scope="col">Workspace</th>
              <th scope="col">Plan</th>
              <th scope="col">Standing</th>
              <th scope="col">Overdue since</th>
              <th scope="col">Limits drop to free</th>
            </>
          }
        >
          {pastDue.map((t) => (
            <tr key={t.tenant_id}>
              <td data-label="Workspace">
                <span className="cell-title">
                  <span className="strong">{t.name}</span>
                  <span className="code-subtle">{t.slug}</span>
                </span>
              </td>
              <td data-label="Plan">{planName(t.plan)}</td>
              <td data-label="Standing">
                {t.status === 'restricted' ? <Badge tone="danger">Restricted</Badge> : <Badge tone="warning">Past due</Badge>}
              </td>
              <td data-label="Overdue since">{t.past_due_since ? localDate(t.past_due_since) : '—'}</td>
              <td data-label="Limits drop to free">
                <LimitsDrop tenant={t} />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  )
}
