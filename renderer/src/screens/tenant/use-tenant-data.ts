/** Everything the tenant page shows beyond the tenant itself, loaded together (and again on Refresh). */
import { useCallback, useEffect, useState } from 'react'
import type { OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../../api/client'
import { type DashboardData } from '../../stores/dashboard'
import { CHART_DAYS, chartRange, localIsoDay, seriesByDay, type DayPoint } from '../../stores/day-series'

export interface TenantData {
  row: DashboardData['tenants'][number] | null
  balances: DashboardData['balances']
  days: DayPoint[]
  usage: OutputOf<'usage.byDay'>
  recent: OutputOf<'usage.recent'>
  audit: OutputOf<'audit.list'>
  invoices: Array<OutputOf<'billing.preview'>>
  /** Prepaid credit (or, for a postpaid tenant, what its client reads as its balance); null if unavailable. */
  credit: OutputOf<'credit.balances'>[number] | null
}

function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

export function useTenantData(tenantId: string): {
  data: TenantData | null
  error: string | null
  loading: boolean
  reload(): Promise<void>
} {
  const [data, setData] = useState<TenantData | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const reload = useCallback(async () => {
    setLoading(true)
    try {
      const now = new Date()
      const [dash, usage, recent, audit, credits] = await Promise.all([
        call('usage.dashboard', {}) as Promise<DashboardData>,
        call('usage.byDay', { tenantId, ...chartRange(now) }),
        call('usage.recent', { tenantId, limit: 15 }),
        call('audit.list', { subjectId: tenantId, limit: 25 }),
        call('credit.balances', {}).catch(() => []),
      ])
      const row = dash.tenants.find((t) => t.tenantId === tenantId) ?? null
      const month = row?.month.month ?? localIsoDay(now).slice(0, 7)
      const invoices = (
        await Promise.all(
          [month, previousMonth(month)].map((m) =>
            call('billing.preview', { month: m, tenantId }).catch(() => null),
          ),
        )
      ).filter((i): i is OutputOf<'billing.preview'> => i !== null)
      const credit = credits.find((c) => c.tenantId === tenantId) ?? null
      setData({
        row,
        balances: dash.balances,
        days: seriesByDay(usage, now, CHART_DAYS),
        usage,
        recent,
        audit,
        invoices,
        credit,
      })
      setError(null)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setLoading(false)
    }
  }, [tenantId])
  useEffect(() => {
    void reload()
  }, [reload])
  return { data, error, loading, reload }
}
