/**
 * What a tenant's client reads as its balance (the gateway's getbalance, the JSON API's getBalance): a prepaid
 * tenant's credit available; otherwise what is left of its monthly budget; where there is neither, what the
 * operator chose in settings (0, or a fixed amount). Never a made-up figure, never below zero.
 */
import type { Micros } from '@shared/money'
import type { Settings } from '@shared/settings'
import type { Tenant } from '@shared/tenant'
import { billingOf } from '@shared/tenant-billing'
import { localMonthBounds, localMonthOf } from '../time/zoned'
import type { CreditBook } from './credit-book'

export interface TenantBalanceDeps {
  credit: CreditBook
  ledger: { spendForMonth(id: string, a: number, b: number): { spentMicros: Micros; reservedMicros: Micros } }
  settings: { get(): Settings }
}

export function tenantBalanceFor(deps: TenantBalanceDeps, tenant: Tenant, now = Date.now()): Micros {
  if (billingOf(tenant).mode === 'prepaid') return Math.max(0, deps.credit.balance(tenant.id).availableMicros)
  const budget = tenant.limits.monthlyBudgetMicros
  if (budget !== undefined) {
    const [a, b] = localMonthBounds(localMonthOf(now, tenant.timezone), tenant.timezone)
    const s = deps.ledger.spendForMonth(tenant.id, a, b)
    return Math.max(0, budget - s.spentMicros - s.reservedMicros)
  }
  const fallback = deps.settings.get().gatewayBalance
  return fallback.mode === 'amount' ? fallback.amountMicros : 0
}
