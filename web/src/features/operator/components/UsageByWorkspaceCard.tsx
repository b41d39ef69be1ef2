import { useState } from 'react'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Field } from '@/components/ui/Field'
import { LoadError } from '@/components/ui/LoadError'
import { Select } from '@/components/ui/Input'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import type { Meter, TenantUsage } from '@/lib/api/types'
import { formatAmount, isLevel, isMeter, METER_LABEL } from '@/lib/units'
import { useUsageByWorkspace, USAGE_LIMIT } from '../api/operator'
import { periodDay } from '../utils/figures'

const METERS: readonly Meter[] = Object.keys(METER_LABEL).filter(isMeter)

/** Used against included as a bar: amber from 80 %, red past the allowance. */
function Share({ item, label }: { item: TenantUsage; label: string }) {
  const included = item.included ?? null
  // The Included column already says "Unlimited".
  if (included === null) return <span className="muted" aria-label="No allowance">—</span>
  if (item.percent == null) return <span className="muted">{item.used > 0 ? 'Not included' : '—'}</span>
  const percent = item.percent
  const tone = percent >= 100 ? 'is-over' : percent >= 80 ? 'is-high' : ''
  return (
    <span className={`share ${tone}`}>
      <span
        className="progress share-bar"
        role="progressbar"
        aria-label={`${item.name}: ${label} ${Math.round(percent)} % of the allowance`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(100, Math.round(percent))}
      >
        <span className="progress-bar" style={{ width: `${Math.min(100, percent)}%` }} />
      </span>
      <span className="share-value">{Math.round(percent)} %</span>
    </span>
  )
}

/** This period's heaviest users of one meter, against what their plan includes. */
export function UsageByWorkspaceCard({ planName }: { planName: (key: string) => string }) {
  const [meter, setMeter] = useState<Meter>('api_requests')
  const usage = useUsageByWorkspace(meter)
  const data = usage.data
  const label = METER_LABEL[meter]
  // While another meter loads, the previous meter's rows stay, dimmed, rather than jump.
  const stale = usage.isPlaceholderData
  const unit = data?.unit ?? ''
  const inUnit = unit && unit !== 'bytes' ? ` (${unit})` : ''
  const measure = isLevel(meter) ? 'the highest level this period' : 'the total this period'

  return (
    <Card
      title="Usage by workspace"
      description={
        data
          ? `The heaviest users of a meter since ${periodDay(data.period_start)}, against what their plan includes.`
          : 'The heaviest users of a meter this period, against what their plan includes.'
      }
      flush
    >
      <div className="card-pad usage-controls">
        <Field label="Meter" hint={`${label}: ${measure}, by workspace.`}>
          {(control) => (
            <Select
              value={meter}
              onChange={(e) => {
                if (isMeter(e.target.value)) setMeter(e.target.value)
              }}
              {...control}
            >
              {METERS.map((m) => (
                <option key={m} value={m}>
                  {METER_LABEL[m]}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      {usage.error ? (
        <div className="card-pad">
          <LoadError error={usage.error} onRetry={() => void usage.refetch()} retrying={usage.isFetching} />
        </div>
      ) : null}
      {usage.isPending ? <SkeletonRows rows={3} label="Loading usage" /> : null}
      {data && !stale && data.items.length === 0 ? (
        <EmptyState
          icon="list"
          title="No usage this period"
          description={`${label}: nothing recorded since ${periodDay(data.period_start)}. Workspaces show here as soon as they use it.`}
        />
      ) : null}
      {data && (stale || data.items.length > 0) ? (
        <div className={stale ? 'usage-table is-stale' : 'usage-table'} aria-busy={stale || undefined}>
          <Table
            caption={`${label} by workspace`}
            head={
              <>
                <th scope="col">Workspace</th>
                <th scope="col">Plan</th>
                <th scope="col" className="cell-num">
                  Used{inUnit}
                </th>
                <th scope="col" className="cell-num">
                  Included
                </th>
                <th scope="col">Allowance used</th>
              </>
            }
          >
            {data.items.map((item) => (
              <tr key={item.tenant_id}>
                <td data-label="Workspace">
                  <span className="cell-title">
                    <span className="strong">{item.name}</span>
                    <span className="code-subtle">{item.slug}</span>
                  </span>
                </td>
                <td data-label="Plan">{planName(item.plan)}</td>
                <td data-label={`Used${inUnit}`} className="cell-num strong">
                  {formatAmount(item.used, data.unit)}
                </td>
                <td data-label="Included" className="cell-num">
                  {item.included == null ? <span className="muted">Unlimited</span> : formatAmount(item.included, data.unit)}
                </td>
                <td data-label="Allowance used">
                  <Share item={item} label={label} />
                </td>
              </tr>
            ))}
          </Table>
          {data.items.length >= USAGE_LIMIT ? (
            <p className="card-foot muted">The {USAGE_LIMIT} heaviest users are shown.</p>
          ) : null}
        </div>
      ) : null}
    </Card>
  )
}
