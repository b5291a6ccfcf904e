/** Dashboard figures: per-tenant today / this month against limits, threads, balances, and a 14-day series. */
import { create } from 'zustand'
import type { Micros } from '@shared/money'
import type { TenantLimits } from '@shared/tenant'
import type { OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'
import { CHART_DAYS, chartRange, seriesByDay, type DayPoint } from './day-series'

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
      const [data, rows] = await Promise.all([
        call('usage.dashboard', {}) as Promise<DashboardData>,
        call('usage.byDay', { tenantId: 'all', ...chartRange(now) }),
      ])
      set({ data, days: seriesByDay(rows, now, CHART_DAYS), error: null, loadedAt: Date.now() })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
}))
