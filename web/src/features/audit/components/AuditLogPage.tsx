import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { PageHeader } from '@/components/ui/PageHeader'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import { useAuditLog, useVerifyAudit } from '../api/audit'
import { AuditRow } from './AuditRow'
import { VerifyChainButton, VerifyResult } from './VerifyChain'

export function AuditLogPage() {
  const log = useAuditLog()
  const verify = useVerifyAudit()
  const entries = log.data?.pages.flatMap((p) => p.items) ?? []

  return (
    <div className="page">
      <PageHeader
        title="Audit log"
        description="A tamper-evident record of sign-ins, team changes and key activity in this workspace."
        actions={<VerifyChainButton verify={verify} />}
      />
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
                <th scope="col" className="cell-num">
                  Seq
                </th>
              </>
            }
          >
            {entries.map((e) => (
              <AuditRow key={e.id} entry={e} />
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
    </div>
  )
}
