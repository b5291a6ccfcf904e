/** Keeps prepaid periods in step with tenants' billing modes and the low-credit alert in step with the credit. */
import type { Tenant } from '@shared/tenant'
import { billingOf } from '@shared/tenant-billing'
import type { AlertEngine } from '../alerts/alert-engine'
import type { CreditBook } from './credit-book'

export function connectCredit(deps: {
  credit: CreditBook
  tenants: {
    get(id: string): Tenant | undefined
    list(): Tenant[]
    onChange(l: (t: Tenant) => void): () => void
  }
  alerts: AlertEngine
  now: () => number
}): () => void {
  const { credit, alerts } = deps
  const evaluate = (t: Tenant): void => {
    const b = credit.balance(t.id)
    alerts.evaluateCredit(t, b.prepaid, b.leftMicros, billingOf(t).lowCreditMicros)
  }
  for (const t of deps.tenants.list()) {
    credit.syncMode(t, deps.now())
    // A prepaid tenant's credit used is its whole history's sum (about 0.2 s per million solves): taken now, at
    // start, instead of on its first solve, which would hold every tenant's requests meanwhile.
    if (credit.prepaidAt(t.id, deps.now())) credit.balance(t.id)
  }
  const offTenant = deps.tenants.onChange((t) => {
    credit.syncMode(t, deps.now())
    evaluate(t)
  })
  const offCredit = credit.onChange((id) => {
    const t = deps.tenants.get(id)
    if (t) evaluate(t)
  })
  return () => {
    offTenant()
    offCredit()
  }
}
