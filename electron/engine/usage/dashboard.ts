/** The dashboard's per-tenant figures: today and this month in each tenant's zone, held amounts, live solves. */
import type { OutputOf } from '@shared/ipc-contract'
import type { Tenant } from '@shared/tenant'
import type { AdmissionStore } from '../admission'
import { localDateOf, localMonthOf } from '../time/zoned'
import type { UsageQueries } from './usage-queries'

export type DashboardTenantRow = OutputOf<'usage.dashboard'>['tenants'][number]

export function dashboardTenantRows(
  deps: {
    tenants: { list(): Tenant[] }
    admission: Pick<AdmissionStore, 'snapshot'>
    usage: Pick<UsageQueries, 'forMonth' | 'byDay'>
    /** Solves running now, per tenant (the solve service's count). */
    inFlightByTenant: () => Map<string, number>
  },
  now: number,
): DashboardTenantRow[] {
  const inFlight = deps.inFlightByTenant()
  return deps.tenants.list().map((t) => {
    const snap = deps.admission.snapshot(t, now)
    const month = deps.usage.forMonth([t.id], localMonthOf(now, t.timezone))[0]
    const day = localDateOf(now, t.timezone)
    const today = deps.usage.byDay([t.id], day, day)[0]
    return {
      tenantId: t.id,
      name: t.name,
      status: t.status,
      keyMode: t.keyMode,
      limits: t.limits,
      today: {
        date: snap.today.date,
        counted: snap.today.counted,
        solves: today?.solves ?? 0,
        failures: today?.failures ?? 0,
        rejections: today?.rejections ?? 0,
      },
      month: {
        month: snap.month.month,
        spentMicros: month?.priceMicros ?? 0,
        costMicros: month?.costMicros ?? 0,
        reservedMicros: snap.month.reservedMicros,
        solves: month?.solves ?? 0,
      },
      inFlight: inFlight.get(t.id) ?? 0,
    }
  })
}
