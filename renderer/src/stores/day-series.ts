/** The usage charts' days (pure: no engine calls), shared by the dashboard and the tenant page. */
import type { OutputOf } from '@shared/ipc-contract'
import type { Micros } from '@shared/money'

export interface DayPoint {
  day: string
  label: string
  solves: number
  failures: number
  rejections: number
  costMicros: Micros
  priceMicros: Micros
}

export const CHART_DAYS = 14

/** YYYY-MM-DD of a local calendar day. */
export function localIsoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/**
 * The dates to ask usage for: the chart's days up to tomorrow. Usage is dated in each tenant's time zone, and a
 * tenant east of the operator is already on the next date (near midnight, all of its solves are "tomorrow" here).
 */
export function chartRange(now: Date, days = CHART_DAYS): { from: string; to: string } {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1))
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
  return { from: localIsoDay(from), to: localIsoDay(tomorrow) }
}

/**
 * Sums per-tenant rows into one point per day, with empty days filled in so the chart's axis is continuous. The last
 * day is the operator's today, or a tenant's later date when it already has activity on it.
 */
export function seriesByDay(rows: OutputOf<'usage.byDay'>, now: Date, days: number): DayPoint[] {
  const active = rows.filter((r) => r.solves + r.failures + r.rejections > 0).map((r) => r.period)
  const today = localIsoDay(now)
  const lastDay = active.reduce((a, b) => (b > a ? b : a), today)
  const [y, m, d] = lastDay.split('-').map(Number) as [number, number, number]
  const points = new Map<string, DayPoint>()
  for (let i = days - 1; i >= 0; i--) {
    const day = localIsoDay(new Date(y, m - 1, d - i))
    points.set(day, {
      day,
      label: day.slice(5),
      solves: 0,
      failures: 0,
      rejections: 0,
      costMicros: 0,
      priceMicros: 0,
    })
  }
  for (const r of rows) {
    const p = points.get(r.period)
    if (!p) continue
    p.solves += r.solves
    p.failures += r.failures
    p.rejections += r.rejections
    p.costMicros += r.costMicros
    p.priceMicros += r.priceMicros
  }
  return [...points.values()]
}
