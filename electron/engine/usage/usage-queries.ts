/**
 * Usage per tenant (or all) per local day and per local month, in each tenant's own time zone, from the ledger's
 * usage totals (kept per 15-minute bucket) and the refusal counters: solves, failures and rejections by code,
 * thread-seconds, cost, price, margin.
 */
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { Ledger } from '../ledger/types'
import type { RefusalCounters } from '../refusals/refusal-counters'
import { datesBetween, localDayBounds, localMonthBounds } from '../time/zoned'

export interface UsageRow {
  period: string
  tenantId: string
  solves: number
  failures: number
  failuresByCode: Record<string, number>
  rejections: number
  rejectionsByCode: Record<string, number>
  threadMs: number
  costMicros: Micros
  priceMicros: Micros
  marginMicros: Micros
}

function empty(period: string, tenantId: string): UsageRow {
  return {
    period,
    tenantId,
    solves: 0,
    failures: 0,
    failuresByCode: {},
    rejections: 0,
    rejectionsByCode: {},
    threadMs: 0,
    costMicros: 0,
    priceMicros: 0,
    marginMicros: 0,
  }
}

export interface UsageQueries {
  byDay(tenantIds: string[] | 'all', from: string, to: string): UsageRow[]
  forMonth(tenantIds: string[] | 'all', month: string): UsageRow[]
}

export function createUsageQueries(
  ledger: Ledger,
  tenants: { list(o?: { includeDeleted?: boolean }): Tenant[]; get(id: string): Tenant | undefined },
  refusals?: Pick<RefusalCounters, 'totals'>,
): UsageQueries {
  /** Each period's row per tenant; `boundsOf` gives a period's [start, end) in the tenant's zone. */
  function aggregate(
    ids: string[] | 'all',
    periods: string[],
    boundsOf: (period: string, tz: string) => [number, number],
  ): UsageRow[] {
    // One tenant (the dashboard asks twice per tenant every 5 s): looked up, not picked from the sorted list.
    const list =
      ids !== 'all' && ids.length === 1
        ? [tenants.get(ids[0]!)].filter((t): t is Tenant => t !== undefined)
        : tenants.list({ includeDeleted: true }).filter((t) => ids === 'all' || ids.includes(t.id))
    const rows: UsageRow[] = []
    for (const t of list) {
      for (const period of periods) {
        const row = empty(period, t.id)
        const [fromMs, toMs] = boundsOf(period, t.timezone)
        for (const b of ledger.usageTotals({ tenantId: t.id, fromMs, toMs })) {
          if (b.status === 'solved') {
            row.solves += b.count
            row.threadMs += b.threadMs
            row.costMicros += b.costMicros
            row.priceMicros += b.priceMicros
          } else if (b.status === 'rejected') {
            row.rejections += b.count
            const code = b.errorCode ?? 'UNKNOWN'
            row.rejectionsByCode[code] = (row.rejectionsByCode[code] ?? 0) + b.count
          } else {
            row.failures += b.count
            row.threadMs += b.threadMs
            const code = b.errorCode ?? b.status.toUpperCase()
            row.failuresByCode[code] = (row.failuresByCode[code] ?? 0) + b.count
          }
        }
        // Refusals are counters per 15-minute bucket now; older databases may still hold rejected ledger rows (above).
        for (const c of refusals?.totals({ tenantId: t.id, fromMs, toMs }) ?? []) {
          row.rejections += c.count
          row.rejectionsByCode[c.code] = (row.rejectionsByCode[c.code] ?? 0) + c.count
        }
        row.marginMicros = row.priceMicros - row.costMicros
        rows.push(row)
      }
    }
    return rows
  }
  return {
    byDay(ids, from, to) {
      const days = datesBetween(from, to)
      if (days.length === 0) return []
      return aggregate(ids, days, localDayBounds)
    },
    forMonth(ids, month) {
      return aggregate(ids, [month], localMonthBounds)
    },
  }
}
