/** Dashboard figures: per-tenant today / this month against limits, threads, balances, and a 14-day series. */
import { create } from 'zustand'
import type { Micros } from '@shared/money'
import type { TenantLimits } from '@shared/tenant'
import type { OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'

/** The contract leaves usage.dashboard's reply untyped; this is the shape the engine sends. */
export interface DashboardRow {
  tenantId: string
  name: string
  status: 'active' | 'suspended' | 'deleted'
  keyMode: 'own' | 'shared'
  limits: TenantLimits
  today: { date: string; counted: number; solves: number; failures: number; rejections: number }
  month: { month: string; spentMicros: Micros; costMicros: Micros; reservedMicros?: Micros; solves: number }
  inFlight: number
}
export interface DashboardData {
  tenants: DashboardRow[]
  sharedThreads: { capacity: number | null; inUse: number | null }
  balances: OutputOf<'balances.history'>
  alerts: OutputOf<'alerts.list'>
}
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

/** Sums per-tenant rows into one point per day, with empty days filled in so the chart's axis is continuous. */
export function seriesByDay(rows: OutputOf<'usage.byDay'>, from: Date, days: number): DayPoint[] {
  const points = new Map<string, DayPoint>()
  for (let i = 0; i < days; i++) {
    const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + i)
    const day = localIsoDay(d)
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

interface DashboardState {
  data: DashboardData | null
  days: DayPoint[]
  error: string | null
  loading: boolean
  loadedAt: number | null
  load(): Promise<void>
}

export const useDashboard = create<DashboardState>((set, get) => ({
  data: null,
  days: [],
  error: null,
  loading: false,
  loadedAt: null,
  async load() {
    if (get().loading) return
    set({ loading: true })
    try {
      const now = new Date()
      const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (CHART_DAYS - 1))
      const [data, rows] = await Promise.all([
        call('usage.dashboard', {}) as Promise<DashboardData>,
        call('usage.byDay', { tenantId: 'all', from: localIsoDay(from), to: localIsoDay(now) }),
      ])
      set({ data, days: seriesByDay(rows, from, CHART_DAYS), error: null, loadedAt: Date.now() })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
}))
