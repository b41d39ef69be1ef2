import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import type { Meter } from '@/lib/api/types'
import type { ChartPoint } from '../utils/chart'
import { axisDay, formatAmount, formatCompact, isLevel, METER_LABEL } from '../utils/format'

const ACCENT = '#4f46e5'
const ACCENT_SOFT = '#c7d2fe'
const WARNING = '#b54708'
const GRID = '#e4e7ec'
const TICK = { fontSize: 11, fill: '#667085' }

export interface UsageChartProps {
  meter: Meter
  unit: string
  points: ChartPoint[]
  /** `month`: running total against the allowance with the projection; `daily`: one bar a day. */
  view: 'month' | 'daily'
  included: number | null
  limitKind: string
}

/**
 * Round ticks from 0 to just above `max`: a step of 1, 2, 2.5 or 5 × 10ⁿ, counted in the unit
 * the axis shows (MB or GB for bytes, so the labels read 250 MB, 500 MB rather than 238 MB).
 */
function axisTicks(max: number, unit: string): number[] {
  const scale = unit === 'bytes' ? (max >= 1024 ** 3 ? 1024 ** 3 : 1024 ** 2) : 1
  const top = Math.max(max / scale, 1)
  const rough = top / 4
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = Math.max(unit === 'bytes' ? 0 : 1, ([1, 2, 2.5, 5, 10].find((f) => f * magnitude >= rough) ?? 10) * magnitude)
  const ticks: number[] = []
  for (let v = 0; v < top + step; v += step) ticks.push(v * scale)
  return ticks
}

function ChartTooltip({ active, label, byDay, unit }: { active?: boolean; label?: unknown; byDay: Map<string, ChartPoint>; unit: string }) {
  const point = typeof label === 'string' ? byDay.get(label) : undefined
  if (!active || !point) return null
  return (
    <div className="chart-tooltip">
      <p className="strong">{axisDay(point.day)}</p>
      {point.actual !== null ? <p>{formatAmount(point.actual, unit)}</p> : null}
      {point.expected !== null && point.actual === null ? <p>Expected about {formatAmount(point.expected, unit)}</p> : null}
      {point.range && point.actual === null ? (
        <p className="muted">
          80 % range {formatAmount(point.range[0], unit)} – {formatAmount(point.range[1], unit)}
        </p>
      ) : null}
    </div>
  )
}

/** The usage chart itself; loaded on demand, since the charting library is the page's heaviest part. */
export function UsageChart({ meter, unit, points, view, included, limitKind }: UsageChartProps) {
  const byDay = new Map(points.map((p) => [p.day, p]))
  const level = isLevel(meter)
  const showLimit = view === 'month' && included !== null && limitKind !== 'unlimited'
  const values = points.flatMap((p) => [p.actual ?? 0, p.expected ?? 0, p.range?.[1] ?? 0])
  const ticks = axisTicks(Math.max(1, ...values, showLimit && included !== null ? included : 0) * 1.02, unit)
  const known = points.filter((p) => p.actual !== null)
  const latest = known[known.length - 1]
  const summary =
    view === 'month'
      ? `${METER_LABEL[meter]} this month: ${latest ? formatAmount(latest.actual ?? 0, unit) : 'nothing'} so far${
          showLimit && included !== null ? `, against ${formatAmount(included, unit)} ${limitKind === 'soft' ? 'included' : 'allowed'}` : ''
        }.`
      : `${METER_LABEL[meter]} per day over the last ${points.length} days.`

  return (
    <div className="chart" role="img" aria-label={summary}>
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={points} margin={{ top: 12, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={GRID} vertical={false} />
          <XAxis dataKey="day" tickFormatter={axisDay} tick={TICK} tickLine={false} axisLine={{ stroke: GRID }} minTickGap={18} />
          <YAxis
            tickFormatter={(v: number) => (v === 0 ? '0' : formatCompact(v, unit))}
            tick={TICK}
            tickLine={false}
            axisLine={false}
            width={unit === 'bytes' ? 64 : 44}
            domain={[0, ticks[ticks.length - 1] ?? 1]}
            ticks={ticks}
          />
          <Tooltip content={(p) => <ChartTooltip active={p.active} label={p.label} byDay={byDay} unit={unit} />} />
          {view === 'month' ? (
            <>
              <Area dataKey="range" stroke="none" fill={ACCENT_SOFT} fillOpacity={0.55} isAnimationActive={false} name="80 % range" />
              <Area dataKey="actual" stroke={ACCENT} strokeWidth={2} fill={ACCENT} fillOpacity={0.12} isAnimationActive={false} name="So far" />
              <Line dataKey="expected" stroke={ACCENT} strokeWidth={2} strokeDasharray="5 4" dot={false} isAnimationActive={false} name="Expected" />
            </>
          ) : level ? (
            <Area dataKey="actual" type="stepAfter" stroke={ACCENT} strokeWidth={2} fill={ACCENT} fillOpacity={0.12} isAnimationActive={false} name="Level" />
          ) : (
            <Bar dataKey="actual" fill={ACCENT} radius={[3, 3, 0, 0]} maxBarSize={18} isAnimationActive={false} name="Per day" />
          )}
          {showLimit && included !== null ? (
            <ReferenceLine
              y={included}
              stroke={WARNING}
              strokeDasharray="4 3"
              label={{ value: limitKind === 'soft' ? 'Included' : 'Limit', position: 'insideTopLeft', fill: WARNING, fontSize: 11 }}
            />
          ) : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  )
}
