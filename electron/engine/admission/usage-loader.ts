/** The admission state's durable side: what the ledger says a tenant's day and month already hold. */
import type { Ledger } from '../ledger/types'
import type { UsageLoader } from './types'

export function ledgerUsageLoader(ledger: Pick<Ledger, 'countForDay' | 'spendForMonth'>): UsageLoader {
  return {
    dayCount: (tenantId, startMs, endMs) => {
      const c = ledger.countForDay(tenantId, startMs, endMs)
      return c.solved + c.open
    },
    monthSpend: (tenantId, startMs, endMs) => ledger.spendForMonth(tenantId, startMs, endMs),
  }
}
