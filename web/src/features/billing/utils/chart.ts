import type { MeterForecast, MeterHistory } from '@/lib/api/types'
import { isLevel } from './format'

/** One day on a chart: what happened (`actual`) and, after today, where it is heading. */
export interface ChartPoint {
  day: string
  actual: number | null
  expected: number | null
  /** The 80 % range, for the shaded band. */
  range: [number, number] | null
}

const DAY_MS = 86_400_000

function isoDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10)
}

/** Each day's value, for the daily view. */
export function dailyPoints(history: MeterHistory, days: number): ChartPoint[] {
  return history.days.slice(-days).map((d) => ({ day: d.day, actual: d.value, expected: null, range: null }))
}

/**
 * The month so far and its projection: a running total for counted meters (the level for
 * levels), then the expected total to the month's end inside its 80 % range. The projection
 * follows the forecast's daily path, scaled to land on its expected total.
 */
export function monthPoints(history: MeterHistory, forecast: MeterForecast | undefined, periodStart: string, periodEnd: string): ChartPoint[] {
  const start = periodStart.slice(0, 10)
  const level = isLevel(history.meter)
  const points: ChartPoint[] = []
  let total = 0
  for (const d of history.days) {
    if (d.day < start) continue
    total = level ? d.value : total + d.value
    points.push({ day: d.day, actual: total, expected: null, range: null })
  }
  const last = points[points.length - 1]
  const endT = Date.parse(periodEnd) - DAY_MS
  const lastT = last ? Date.parse(last.day) : Date.parse(start) - DAY_MS
  const ahead: string[] = []
  for (let t = lastT + DAY_MS; t <= endT; t += DAY_MS) ahead.push(isoDay(t))
  if (!forecast || forecast.method === 'insufficient' || ahead.length === 0) {
    return points.concat(ahead.map((day) => ({ day, actual: null, expected: null, range: null })))
  }

  const base = last?.actual ?? 0
  if (last) {
    last.expected = base
    last.range = [base, base]
  }
  // The share of the remaining growth reached by each day, from the forecast's own path.
  const path = forecast.path.slice(-ahead.length).map((v) => Math.max(0, v))
  const sum = path.reduce((a, b) => a + b, 0)
  let acc = 0
  return points.concat(
    ahead.map((day, i) => {
      acc += path[i] ?? 0
      const share = !level && sum > 0 && path.length === ahead.length ? acc / sum : (i + 1) / ahead.length
      const at = (target: number) => base + (target - base) * share
      return { day, actual: null, expected: at(forecast.expected), range: [at(forecast.low80), at(forecast.high80)] }
    }),
  )
}
