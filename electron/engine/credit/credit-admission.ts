/**
 * Prepaid admission: wraps an AdmissionStore so that, for a tenant in a prepaid period, a solve's price is held
 * against its credit in the same synchronous step as every other limit. The credit is checked first (a refusal
 * consumes nothing: no rate, no day count), then the other limits; a hold is taken only when both agree. Concurrent
 * solves therefore can never take the credit below zero. Refused as limit 'credit' (ERROR_ZERO_BALANCE).
 */
import type { AdmissionStore, LimitKind, Reservation } from '../admission/types'
import type { CreditBook } from './credit-book'

export function withPrepaidCredit(inner: AdmissionStore, credit: CreditBook): AdmissionStore {
  /** Reservation id → micros held on the tenant's credit. */
  const held = new Map<number, number>()
  return {
    snapshot: (tenant, now) => inner.snapshot(tenant, now),
    setSharedCapacity: (threads) => inner.setSharedCapacity(threads),
    sharedUsage: () => inner.sharedUsage(),
    openReservations: () => inner.openReservations(),
    submitted: (r, at) => inner.submitted(r, at),
    reserve(request) {
      const { tenant, estimateMicros, now } = request
      if (tenant.status === 'active') credit.syncMode(tenant, now)
      const prepaid = tenant.status === 'active' && credit.prepaidAt(tenant.id, now)
      if (prepaid) {
        const b = credit.balance(tenant.id)
        if (b.availableMicros - estimateMicros < 0)
          return {
            ok: false,
            limit: 'credit' satisfies LimitKind,
            message:
              b.availableMicros <= 0
                ? 'Prepaid credit exhausted: top up to allow solves.'
                : 'Prepaid credit too low for this solve: top up to allow solves.',
            retryAfterMs: 0,
          }
      }
      const admission = inner.reserve(request)
      if (!admission.ok || !prepaid) return admission
      // Nothing awaited since the check above, so the hold cannot fail here.
      if (!credit.hold(tenant.id, estimateMicros)) {
        inner.release(admission.reservation, { solved: false, priceMicros: 0, now })
        return {
          ok: false,
          limit: 'credit',
          message: 'Prepaid credit exhausted: top up to allow solves.',
          retryAfterMs: 0,
        }
      }
      held.set(admission.reservation.id, estimateMicros)
      return admission
    },
    release(r: Reservation, outcome) {
      inner.release(r, outcome)
      const micros = held.get(r.id)
      if (micros === undefined) return
      held.delete(r.id)
      credit.unhold(r.tenantId, micros, outcome.solved ? outcome.priceMicros : 0)
    },
    adopt(seed) {
      const r = inner.adopt(seed)
      if (credit.prepaidAt(seed.tenant.id, seed.createdAt)) {
        credit.adoptHold(seed.tenant.id, seed.reservedMicros)
        held.set(r.id, seed.reservedMicros)
      }
      return r
    },
  }
}
