/**
 * What a tenant's client reads as its balance (the gateway's getbalance, the JSON API's getBalance): a prepaid
 * tenant's credit available; otherwise what is left of its monthly budget; where there is neither, what the
 * operator chose in settings (0, or a fixed amount). Never a made-up figure, never below zero.
 */
import type { Micros } from '@shared/money'
import type { Settings } from '@shared/settings'
import type { Tenant } from '@shared/tenant'
import { billingOf } from '@shared/tenant-billing'
import type { CreditBook } from './credit-book'

export interface TenantBalanceDeps {
  credit: CreditBook
  /**
   * The admission state's month (spent and reserved in the tenant's month, loaded from the ledger once): what the
   * budget limit itself decides with, and no ledger query per call — clients ask for their balance often.
   */
  admission: {
    snapshot(tenant: Tenant, now: number): { month: { spentMicros: Micros; reservedMicros: Micros } }
  }
  settings: { get(): Settings }
}

export function tenantBalanceFor(deps: TenantBalanceDeps, tenant: Tenant, now = Date.now()): Micros {
  if (billingOf(tenant).mode === 'prepaid') return Math.max(0, deps.credit.balance(tenant.id).availableMicros)
  const budget = tenant.limits.monthlyBudgetMicros
  if (budget !== undefined) {
    const { month } = deps.admission.snapshot(tenant, now)
    return Math.max(0, budget - month.spentMicros - month.reservedMicros)
  }
  const fallback = deps.settings.get().gatewayBalance
  return fallback.mode === 'amount' ? fallback.amountMicros : 0
}
