/**
 * What every admission store decides, whatever holds its counters: the limits in their order (status,
 * concurrency, rate, day, month's budget, shared threads), the refusal each one gives, and the tenant's local day
 * and month of an instant. A store supplies the figures (its view of one tenant at `now`); a refusal changes nothing.
 */
import type { Tenant } from '@shared/tenant'
import { formatRetry } from '@shared/human-time'
import { localDateOf, localDayBounds, localMonthBounds, localMonthOf } from '../time/zoned'
import type { AdmissionRequest, LimitKind, Refusal } from './types'

/** A tenant's local day or month: its key ('YYYY-MM-DD' / 'YYYY-MM') and its bounds in epoch ms. */
export interface LocalPeriod {
  key: string
  start: number
  end: number
  tz: string
}

/** The local day or month of `now` in `tz`; `cached` is reused while `now` is inside it (Intl is slow). */
export function localPeriodAt(
  unit: 'day' | 'month',
  tz: string,
  now: number,
  cached: LocalPeriod | undefined,
): LocalPeriod {
  if (cached && cached.tz === tz && now >= cached.start && now < cached.end) return cached
  const key = unit === 'day' ? localDateOf(now, tz) : localMonthOf(now, tz)
  const [start, end] = unit === 'day' ? localDayBounds(key, tz) : localMonthBounds(key, tz)
  return { key, start, end, tz }
}

/** One tenant's figures as a store holds them, read in the order the limits are checked (later ones lazily). */
export interface TenantFigures {
  inFlight(): number
  /** Whether one more admission fits in the last 60 seconds at `now` (changes nothing). */
  rate(limit: number): { ok: true } | { ok: false; retryAfterMs: number }
  /** The local day of `now` and what it counts (solved + in flight), loading it from the ledger if needed. */
  day(): { period: LocalPeriod; counted: number }
  /** The local month of `now` and its spend and holds. */
  month(): { period: LocalPeriod; spent: number; reserved: number }
  /** Whether a shared thread may go to this tenant; a refusal notes its demand. */
  sharedThread(): { ok: true } | { ok: false; reason: string }
}

/** What passed: the day and month the reservation counts in. */
export interface Admitted {
  ok: true
  day: { period: LocalPeriod; counted: number }
  month: { period: LocalPeriod; spent: number; reserved: number }
}

function refusal(limit: LimitKind, message: string, retryAfterMs: number): Refusal {
  return { ok: false, limit, message, retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)) }
}

/** Checks every limit of `request` against the figures, in order; the first that does not hold refuses. */
export function checkLimits(
  { tenant, estimateMicros, now }: AdmissionRequest,
  figures: TenantFigures,
  busyRetryMs: number,
): Refusal | Admitted {
  if (tenant.status !== 'active')
    return refusal('suspended', `Tenant "${tenant.name}" is ${tenant.status}; resume it to allow solves.`, 0)
  const L = tenant.limits
  // 1. concurrency
  if (L.maxConcurrent !== undefined && figures.inFlight() >= L.maxConcurrent)
    return refusal(
      'concurrency',
      `Concurrency limit: ${L.maxConcurrent} solves already in flight.`,
      busyRetryMs,
    )
  // 2. rate: at most N admissions in any 60-second window (a burst of N is fine); taken only once every check has
  // passed, so a refusal consumes nothing
  if (L.requestsPerMinute !== undefined && !(L.requestsPerMinute >= 1))
    return refusal('rate', 'Rate limit: this tenant may not send requests (limit 0).', 60_000)
  if (L.requestsPerMinute !== undefined) {
    const r = figures.rate(L.requestsPerMinute)
    if (!r.ok)
      return refusal(
        'rate',
        `Rate limit: ${L.requestsPerMinute} requests per minute (at most ${L.requestsPerMinute} in any 60 seconds); try again ${formatRetry(r.retryAfterMs, now, tenant.timezone)}.`,
        r.retryAfterMs,
      )
  }
  // 3. daily count (solved + in flight), by the tenant's local day
  const day = figures.day()
  if (L.solvesPerDay !== undefined && day.counted >= L.solvesPerDay)
    return untilEnd(
      tenant,
      'daily',
      `Daily limit: ${L.solvesPerDay} solves per day; the count resets`,
      day.period,
      now,
    )
  // 4. monthly budget (spent + reserved + this one)
  const month = figures.month()
  if (
    L.monthlyBudgetMicros !== undefined &&
    month.spent + month.reserved + estimateMicros > L.monthlyBudgetMicros
  )
    return untilEnd(tenant, 'budget', 'Monthly budget exhausted for this month; it renews', month.period, now)
  // 5. fair share of the platform key's threads
  if (tenant.keyMode === 'shared') {
    const c = figures.sharedThread()
    if (!c.ok) return refusal('shared_capacity', `Shared capacity: ${c.reason}.`, busyRetryMs)
  }
  return { ok: true, day, month }
}

/** A refusal that lasts until the tenant's local day or month ends, saying when in its own time. */
function untilEnd(tenant: Tenant, limit: LimitKind, what: string, period: LocalPeriod, now: number): Refusal {
  return refusal(limit, `${what} ${formatRetry(period.end - now, now, tenant.timezone)}.`, period.end - now)
}
