import type { CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'

export type LimitKind =
  'rate' | 'daily' | 'concurrency' | 'budget' | 'shared_capacity' | 'suspended' | 'unknown_tenant'

export interface Reservation {
  id: number
  tenantId: string
  captchaType: CaptchaType
  dayKey: string
  monthKey: string
  reservedMicros: Micros
  shared: boolean
  at: number
}

export type Admission =
  | { ok: true; reservation: Reservation }
  | { ok: false; limit: LimitKind; message: string; retryAfterMs: number }

export interface AdmissionRequest {
  tenant: Tenant
  captchaType: CaptchaType
  /** What the tenant would be billed if it solves: held against the monthly budget until settled. */
  estimateMicros: Micros
  now: number
}

export interface TenantUsageSnapshot {
  tenantId: string
  inFlight: number
  today: { date: string; counted: number }
  month: { month: string; spentMicros: Micros; reservedMicros: Micros }
  sharedThreads: number
}

/** What the ledger tells the admission state the first time it meets a tenant's day or month (so restarts keep counts). */
export interface UsageLoader {
  dayCount(tenantId: string, startMs: number, endMs: number): number
  monthSpend(
    tenantId: string,
    startMs: number,
    endMs: number,
  ): { spentMicros: Micros; reservedMicros: Micros }
}

/**
 * The admission state behind a narrow interface: an in-process implementation here; a Redis one (Lua for the
 * atomic check-and-reserve) could replace it without touching the solve service.
 */
export interface AdmissionStore {
  reserve(request: AdmissionRequest): Admission
  release(reservation: Reservation, outcome: { solved: boolean; priceMicros: Micros; now: number }): void
  snapshot(tenant: Tenant, now: number): TenantUsageSnapshot
  setSharedCapacity(threads: number | undefined): void
  openReservations(): number
}
