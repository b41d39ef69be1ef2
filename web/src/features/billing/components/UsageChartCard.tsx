import { lazy, Suspense, useState } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Field } from '@/components/ui/Field'
import { FormError } from '@/components/ui/FormError'
import { Select } from '@/components/ui/Input'
import { Skeleton } from '@/components/ui/Skeleton'
import { useToast } from '@/components/ui/toast-context'
import { problemMessage } from '@/lib/api/problem'
import type { BillingOverview, Forecast, Meter } from '@/lib/api/types'
import { useExportUsage, useUsageHistory } from '../api/billing'
import { dailyPoints, monthPoints } from '../utils/chart'
import { isLevel, METER_LABEL } from '../utils/format'
import { isMeter } from '../utils/plans'

const UsageChart = lazy(() => import('./UsageChart').then((m) => ({ default: m.UsageChart })))

type Range = 'month' | '30' | '90'

const RANGES: { value: Range; label: string }[] = [
  { value: 'month', label: 'This month, with forecast' },
  { value: '30', label: 'Last 30 days, per day' },
  { value: '90', label: 'Last 90 days, per day' },
]

function isRange(v: string): v is Range {
  return v === 'month' || v === '30' || v === '90'
}

/** Days from the period's first day to today, today included (for the export of "this month"). */
function daysThisPeriod(periodStart: string): number {
  return Math.max(1, Math.floor((Date.now() - Date.parse(periodStart)) / 86_400_000) + 1)
}

function ChartPlaceholder() {
  return (
    <div className="chart chart-loading" role="status" aria-label="Loading chart">
      <Skeleton height="100%" />
    </div>
  )
}

/** Daily history per meter, and this month's running total heading into its forecast. */
export function UsageChartCard({ overview, forecast }: { overview: BillingOverview; forecast: Forecast | undefined }) {
  const history = useUsageHistory(90, true)
  const exporter = useExportUsage()
  const toast = useToast()
  const [range, setRange] = useState<Range>('month')
  const [chosen, setChosen] = useState<Meter | null>(null)

  const used = (history.data?.meters ?? []).filter((m) => m.days.some((d) => d.value > 0))
  // Start on the counted meter closest to its allowance, usually the one people came to check;
  // levels (seats, storage) make flat charts and come last.
  const busiest = [...overview.usage]
    .filter((u) => used.some((m) => m.meter === u.meter))
    .sort((a, b) => Number(isLevel(a.meter)) - Number(isLevel(b.meter)) || (b.percent ?? 0) - (a.percent ?? 0))[0]?.meter
  const meter = chosen ?? busiest ?? used[0]?.meter
  const series = used.find((m) => m.meter === meter)
  const usage = overview.usage.find((u) => u.meter === meter)
  const days = range === 'month' ? daysThisPeriod(overview.period_start) : Number(range)

  const exportCsv = () => {
    const today = new Date().toISOString().slice(0, 10)
    exporter.mutate(
      { days, filename: `stackpro-usage-${today}-${days}d.csv` },
      { onError: (e) => toast({ tone: 'danger', title: "Couldn't export the usage", description: problemMessage(e) }) },
    )
  }

  const points = series
    ? range === 'month'
      ? monthPoints(series, forecast?.meters.find((m) => m.meter === series.meter), overview.period_start, overview.period_end)
      : dailyPoints(series, Number(range))
    : []

  return (
    <Card
      title="Usage over time"
      description="Daily usage per meter, and where this month is heading."
      actions={
        <Button size="sm" icon="download" onClick={exportCsv} loading={exporter.isPending}>
          Export CSV
        </Button>
      }
    >
      {history.error ? <FormError error={history.error} /> : null}
      {history.isPending ? <ChartPlaceholder /> : null}
      {history.data && used.length === 0 ? (
        <EmptyState icon="trendUp" title="No usage recorded yet" description="As the workspace uses StackPro, each day's usage appears here." />
      ) : null}
      {series && meter ? (
        <div className="stack">
          <div className="chart-controls">
            <Field label="Meter">
              {(control) => (
                <Select
                  value={meter}
                  onChange={(e) => {
                    if (isMeter(e.target.value)) setChosen(e.target.value)
                  }}
                  {...control}
                >
                  {used.map((m) => (
                    <option key={m.meter} value={m.meter}>
                      {METER_LABEL[m.meter]}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Show">
              {(control) => (
                <Select
                  value={range}
                  onChange={(e) => {
                    if (isRange(e.target.value)) setRange(e.target.value)
                  }}
                  {...control}
                >
                  {RANGES.map((r) => (
                    <option key={r.value} value={r.value}>
                      {r.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
          <Suspense fallback={<ChartPlaceholder />}>
            <UsageChart
              meter={series.meter}
              unit={series.unit}
              points={points}
              view={range === 'month' ? 'month' : 'daily'}
              included={usage?.included ?? null}
              limitKind={usage?.limit ?? 'unlimited'}
            />
          </Suspense>
          {range === 'month' ? (
            <p className="muted chart-legend">
              <span className="legend-item">
                <span className="legend-swatch legend-actual" /> So far
              </span>
              <span className="legend-item">
                <span className="legend-swatch legend-expected" /> Expected
              </span>
              <span className="legend-item">
                <span className="legend-swatch legend-range" /> 80 % range
              </span>
              {usage?.included != null && usage.limit !== 'unlimited' ? (
                <span className="legend-item">
                  <span className="legend-swatch legend-limit" /> {usage.limit === 'soft' ? 'Included' : 'Limit'}
                </span>
              ) : null}
            </p>
          ) : null}
        </div>
      ) : null}
    </Card>
  )
}
