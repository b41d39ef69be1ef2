import { useSearchParams } from 'react-router'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { PageHeader } from '@/components/ui/PageHeader'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import { useMe } from '@/lib/api/me'
import { canManageAs } from '@/lib/roles'
import { useAuditLog, useVerifyAudit } from '../api/audit'
import { AuditEntryDialog } from './AuditEntryDialog'
import { AuditRow } from './AuditRow'
import { VerifyChainButton, VerifyResult } from './VerifyChain'

export function AuditLogPage() {
  const me = useMe()
  const allowed = canManageAs(me.data)
  const log = useAuditLog(allowed)
  const verify = useVerifyAudit()
  const entries = log.data?.pages.flatMap((p) => p.items) ?? []
  // The open entry lives in the URL (?entry=<id>) so it can be linked to and survives a reload.
  const [params, setParams] = useSearchParams()
  const openId = params.get('entry')
  const setOpen = (id: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (id) next.set('entry', id)
        else next.delete('entry')
        return next
      },
      { replace: id === null },
    )

  const header = (
    <PageHeader
      title="Audit log"
      description="A tamper-evident record of sign-ins, team changes and key activity in this workspace."
      actions={allowed ? <VerifyChainButton verify={verify} /> : undefined}
    />
  )

  if (me.data && !allowed) {
    return (
      <div className="page">
        {header}
        <Card>
          <EmptyState
            icon="shield"
            title="Owners and admins only"
            description="The audit log records sign-ins and changes across the workspace, so only owners and admins can read it."
          />
        </Card>
      </div>
    )
  }

  return (
    <div className="page">
      {header}
      <VerifyResult verify={verify} />
      <Card flush>
        {log.isPending ? <SkeletonRows rows={5} label="Loading audit log" /> : null}
        {log.error ? (
          <div className="card-pad">
            <FormError error={log.error} />
          </div>
        ) : null}
        {log.data && entries.length === 0 ? (
          <EmptyState icon="list" title="Nothing recorded yet" description="Activity in this workspace will appear here." />
        ) : null}
        {entries.length > 0 ? (
          <Table
            caption="Audit log entries, newest first"
            head={
              <>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">IP address</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </>
            }
          >
            {entries.map((e) => (
              <AuditRow key={e.id} entry={e} onOpen={(entry) => setOpen(entry.id)} />
            ))}
          </Table>
        ) : null}
        {log.hasNextPage ? (
          <div className="card-foot">
            <Button onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
              Load older
            </Button>
          </div>
        ) : entries.length > 0 ? (
          <p className="card-foot muted">That's everything: you've reached the first entry.</p>
        ) : null}
      </Card>
      <AuditEntryDialog id={allowed ? openId : null} shown={entries.find((e) => e.id === openId)} onClose={() => setOpen(null)} />
    </div>
  )
}
