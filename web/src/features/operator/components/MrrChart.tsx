import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { PlanRevenue } from '@/lib/api/types'
import { formatMoney } from '@/lib/units'

const ACCENT = '#4f46e5'
const GRID = '#e4e7ec'
const CURSOR = '#f2f4f7'
const TICK = { fontSize: 11, fill: '#667085' }
const NAME_TICK = { fontSize: 12, fill: '#475467' }

interface TooltipProps {
  active?: boolean
  label?: unknown
  byName: Map<string, PlanRevenue>
  currency: string
}

function ChartTooltip({ active, label, byName, currency }: TooltipProps) {
  const plan = typeof label === 'string' ? byName.get(label) : undefined
  if (!active || !plan) return null
  const paying = plan.active + plan.past_due
  return (
    <div className="chart-tooltip">
      <p className="strong">{plan.name}</p>
      <p>{formatMoney(plan.mrr_cents, currency)} a month</p>
      <p className="muted">
        {paying} × {formatMoney(plan.price_cents, currency)}
      </p>
    </div>
  )
}

/** Monthly recurring revenue per plan as horizontal bars; loaded on demand with the charting library. */
export function MrrChart({ plans, currency }: { plans: PlanRevenue[]; currency: string }) {
  const whole = (cents: number) => formatMoney(cents, currency, cents % 100 === 0 ? 0 : 2)
  const byName = new Map(plans.map((p) => [p.name, p]))
  const summary = `Monthly recurring revenue by plan: ${plans.map((p) => `${p.name} ${whole(p.mrr_cents)}`).join(', ')}.`
  return (
    <div className="chart chart-bars" role="img" aria-label={summary} style={{ height: plans.length * 48 + 36 }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={plans} layout="vertical" margin={{ top: 4, right: 64, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={GRID} horizontal={false} />
          <XAxis
            type="number"
            tickFormatter={(v: number) => formatMoney(v, currency, 0)}
            tick={TICK}
            tickLine={false}
            axisLine={{ stroke: GRID }}
            allowDecimals={false}
          />
          <YAxis type="category" dataKey="name" tick={NAME_TICK} tickLine={false} axisLine={false} width={96} />
          <Tooltip cursor={{ fill: CURSOR }} content={(p) => <ChartTooltip active={p.active} label={p.label} byName={byName} currency={currency} />} />
          <Bar dataKey="mrr_cents" fill={ACCENT} radius={[0, 4, 4, 0]} maxBarSize={24} isAnimationActive={false} name="MRR">
            <LabelList
              dataKey="mrr_cents"
              position="right"
              formatter={(v: unknown) => (typeof v === 'number' ? whole(v) : '')}
              style={{ fontSize: 12, fill: '#101828', fontWeight: 600 }}
            />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  )
}
