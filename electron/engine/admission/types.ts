import type { CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'

export type LimitKind =
  | 'rate'
  | 'daily'
  | 'concurrency'
  | 'budget'
  | 'shared_capacity'
  | 'suspended'
  | 'unknown_tenant'
  /** Prepaid credit exhausted (see engine/credit). */
  | 'credit'

/** Limits that free up when some solve ends (a bounded wait may be worth it); the others free up with time. */
export const WAITABLE_LIMITS: ReadonlySet<LimitKind> = new Set<LimitKind>(['concurrency', 'shared_capacity'])

export interface Reservation {
  id: number
  tenantId: string
  captchaType: CaptchaType
  /** Local date (tenant's zone) the solve counts against, 'YYYY-MM-DD'. */
  dayKey: string
  /** Local month the reserved price is held in, 'YYYY-MM'. */
  monthKey: string
  reservedMicros: Micros
  /** Holds one of the platform key's threads. */
  shared: boolean
  at: number
}

export type Refusal = { ok: false; limit: LimitKind; message: string; retryAfterMs: number }

export type Admission = { ok: true; reservation: Reservation } | Refusal

export interface AdmissionRequest {
  tenant: Tenant
  captchaType: CaptchaType
  /** What the tenant would be billed if it solves: held against the monthly budget until settled. */
  estimateMicros: Micros
  now: number
}

/** How a reservation ended: only a solve keeps its place in the day's count and turns its hold into spend. */
export interface ReleaseOutcome {
  solved: boolean
  /** What the tenant was billed (0 unless solved). */
  priceMicros: Micros
  now: number
}

/** An attempt a previous process left open (pending/submitted in the ledger), taken over at start-up recovery. */
export interface OpenAttemptSeed {
  tenant: Tenant
  captchaType: CaptchaType
  createdAt: number
  reservedMicros: Micros
}

export interface TenantUsageSnapshot {
  tenantId: string
  inFlight: number
  today: { date: string; counted: number }
  month: { month: string; spentMicros: Micros; reservedMicros: Micros }
  sharedThreads: number
}

/**
 * What the ledger tells the admission state the first time it meets a tenant's day or month, so a restart keeps
 * everyone's counts. Contract: dayCount = solved + still-open attempts created in [start, end); monthSpend =
 * price of solves ended in [start, end) + reservations of open attempts created then.
 */
export interface UsageLoader {
  dayCount(tenantId: string, startMs: number, endMs: number): number
  monthSpend(
    tenantId: string,
    startMs: number,
    endMs: number,
  ): { spentMicros: Micros; reservedMicros: Micros }
}

/**
 * The admission state behind a narrow interface. Two implementations answer alike (the same rules,
 * admission-rules.ts): the in-process one the engine runs (admission-controller.ts), and one over counters under keys
 * (keyed-admission-store.ts) that a Valkey/Redis store can replace (a Lua script for the atomic check-and-reserve)
 * without touching the solve service.
 */
export interface AdmissionStore {
  /** Checks every limit and reserves in one synchronous step. A refusal changes nothing (it consumes no rate). */
  reserve(request: AdmissionRequest): Admission
  /**
   * The reserved solve reached the upstream at `at` (≥ its admission): the rate limit counts it from then on, so
   * no 60-second window at the upstream sees more than the limit either. Unknown or released reservations: no-op.
   */
  submitted(reservation: Reservation, at: number): void
  /** Gives back what `reserve` (or `adopt`) took. Idempotent: a second release of the same reservation is a no-op. */
  release(reservation: Reservation, outcome: ReleaseOutcome): void
  /**
   * Takes over an attempt a crash left open so that recovery releases it like any other (in flight, shared thread,
   * day count and held price). Never refuses: the work is already running upstream.
   */
  adopt(seed: OpenAttemptSeed): Reservation
  snapshot(tenant: Tenant, now: number): TenantUsageSnapshot
  setSharedCapacity(threads: number | undefined): void
  sharedUsage(): { capacity: number | undefined; used: number }
  openReservations(): number
}
