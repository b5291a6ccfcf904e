/**
 * In-process admission control: one synchronous step checks every limit and reserves (nothing awaits between check
 * and reserve, so concurrent solves cannot overshoot), and `release` returns exactly what `reserve` took.
 */
import type { Tenant } from '@shared/tenant'
import { formatRetry } from '@shared/human-time'
import { localDateOf, localDayBounds, localMonthBounds, localMonthOf } from '../time/zoned'
import { SlidingWindow, type WindowEntry } from './sliding-window'
import { SharedCapacity } from './shared-capacity'
import type {
  Admission,
  AdmissionStore,
  LimitKind,
  Reservation,
  TenantUsageSnapshot,
  UsageLoader,
} from './types'

interface Window {
  key: string
  start: number
  end: number
  tz: string
}

interface TenantState {
  dayWindow?: Window
  monthWindow?: Window
  rate: SlidingWindow
  inFlight: number
  days: Map<string, number>
  months: Map<string, { spent: number; reserved: number }>
}

export interface AdmissionOptions {
  loader?: UsageLoader
  sharedThreads?: number
  /** Short hint for concurrency / capacity refusals (a thread frees up when any solve ends). */
  busyRetryMs?: number
}

export function createAdmissionController(options: AdmissionOptions = {}): AdmissionStore {
  const states = new Map<string, TenantState>()
  const shared = new SharedCapacity(options.sharedThreads)
  const busyRetryMs = options.busyRetryMs ?? 2_000
  const open = new Map<number, Reservation>()
  /** The rate-window entry of each open reservation, moved to the submission time when the upstream accepts it. */
  const rateEntries = new Map<number, WindowEntry>()
  let nextId = 1

  const stateOf = (id: string): TenantState => {
    let s = states.get(id)
    if (!s) {
      s = { rate: new SlidingWindow(), inFlight: 0, days: new Map(), months: new Map() }
      states.set(id, s)
    }
    return s
  }

  const dayCount = (t: Tenant, s: TenantState, day: string): number => {
    let n = s.days.get(day)
    if (n === undefined) {
      const [a, b] = localDayBounds(day, t.timezone)
      n = options.loader?.dayCount(t.id, a, b) ?? 0
      s.days.set(day, n)
      // Keep a few days (a solve admitted before midnight may end after it); evicted days reload from the ledger.
      if (s.days.size > 4) s.days.delete(s.days.keys().next().value!)
    }
    return n
  }

  const monthState = (t: Tenant, s: TenantState, month: string): { spent: number; reserved: number } => {
    let m = s.months.get(month)
    if (!m) {
      const [a, b] = localMonthBounds(month, t.timezone)
      const loaded = options.loader?.monthSpend(t.id, a, b) ?? { spentMicros: 0, reservedMicros: 0 }
      m = { spent: loaded.spentMicros, reserved: loaded.reservedMicros }
      s.months.set(month, m)
      if (s.months.size > 3) s.months.delete(s.months.keys().next().value!)
    }
    return m
  }

  /** Local day / month of `now`, recomputed only when `now` leaves the cached window (Intl is slow). */
  const dayOf = (t: Tenant, s: TenantState, now: number): string => {
    const w = s.dayWindow
    if (w && w.tz === t.timezone && now >= w.start && now < w.end) return w.key
    const key = localDateOf(now, t.timezone)
    const [start, end] = localDayBounds(key, t.timezone)
    s.dayWindow = { key, start, end, tz: t.timezone }
    return key
  }
  const monthOf = (t: Tenant, s: TenantState, now: number): string => {
    const w = s.monthWindow
    if (w && w.tz === t.timezone && now >= w.start && now < w.end) return w.key
    const key = localMonthOf(now, t.timezone)
    const [start, end] = localMonthBounds(key, t.timezone)
    s.monthWindow = { key, start, end, tz: t.timezone }
    return key
  }

  const refuse = (limit: LimitKind, message: string, retryAfterMs: number): Admission => ({
    ok: false,
    limit,
    message,
    retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)),
  })

  return {
    reserve({ tenant, captchaType, estimateMicros, now }) {
      if (tenant.status !== 'active') {
        return refuse(
          'suspended',
          `Tenant "${tenant.name}" is ${tenant.status}; resume it to allow solves.`,
          0,
        )
      }
      const s = stateOf(tenant.id)
      const L = tenant.limits
      // 1. concurrency
      if (L.maxConcurrent !== undefined && s.inFlight >= L.maxConcurrent) {
        return refuse(
          'concurrency',
          `Concurrency limit: ${L.maxConcurrent} solves already in flight.`,
          busyRetryMs,
        )
      }
      // 2. rate: at most N admissions in any 60-second window (a burst of N is fine); taken only once every
      // check has passed, so a refusal consumes nothing
      if (L.requestsPerMinute !== undefined && !(L.requestsPerMinute >= 1)) {
        return refuse('rate', 'Rate limit: this tenant may not send requests (limit 0).', 60_000)
      }
      if (L.requestsPerMinute !== undefined) {
        const r = s.rate.check(L.requestsPerMinute, now)
        if (!r.ok)
          return refuse(
            'rate',
            `Rate limit: ${L.requestsPerMinute} requests per minute (at most ${L.requestsPerMinute} in any 60 seconds); try again ${formatRetry(r.retryAfterMs, now, tenant.timezone)}.`,
            r.retryAfterMs,
          )
      }
      // 3. daily count (solved + in flight), by the tenant's local day
      const day = dayOf(tenant, s, now)
      const counted = dayCount(tenant, s, day)
      if (L.solvesPerDay !== undefined && counted >= L.solvesPerDay) {
        return refuse(
          'daily',
          `Daily limit: ${L.solvesPerDay} solves per day; the count resets ${formatRetry(s.dayWindow!.end - now, now, tenant.timezone)}.`,
          s.dayWindow!.end - now,
        )
      }
      // 4. monthly budget (spent + reserved + this one)
      const month = monthOf(tenant, s, now)
      const m = monthState(tenant, s, month)
      if (
        L.monthlyBudgetMicros !== undefined &&
        m.spent + m.reserved + estimateMicros > L.monthlyBudgetMicros
      ) {
        return refuse(
          'budget',
          `Monthly budget exhausted for this month; it renews ${formatRetry(s.monthWindow!.end - now, now, tenant.timezone)}.`,
          s.monthWindow!.end - now,
        )
      }
      // 5. fair share of the platform key's threads
      const isShared = tenant.keyMode === 'shared'
      if (isShared) {
        const c = shared.check(tenant.id, tenant.shareWeight, now)
        if (!c.ok) {
          shared.noteDemand(tenant.id, tenant.shareWeight, now)
          return refuse('shared_capacity', `Shared capacity: ${c.reason}.`, busyRetryMs)
        }
      }
      // All checks passed: reserve everything at once.
      const rateEntry = L.requestsPerMinute !== undefined ? s.rate.take(now) : undefined
      s.inFlight++
      s.days.set(day, counted + 1)
      m.reserved += estimateMicros
      if (isShared) shared.take(tenant.id, tenant.shareWeight, now)
      const reservation: Reservation = {
        id: nextId++,
        tenantId: tenant.id,
        captchaType,
        dayKey: day,
        monthKey: month,
        reservedMicros: estimateMicros,
        shared: isShared,
        at: now,
      }
      open.set(reservation.id, reservation)
      if (rateEntry) rateEntries.set(reservation.id, rateEntry)
      return { ok: true, reservation }
    },

    submitted(r, at) {
      const e = rateEntries.get(r.id)
      if (e) SlidingWindow.moveTo(e, at)
    },

    release(r, outcome) {
      if (!open.delete(r.id)) return // released already: every exit path may call this, it counts once
      rateEntries.delete(r.id)
      const s = stateOf(r.tenantId)
      s.inFlight = Math.max(0, s.inFlight - 1)
      if (!outcome.solved) {
        const n = s.days.get(r.dayKey)
        if (n !== undefined) s.days.set(r.dayKey, Math.max(0, n - 1))
      }
      // The price stays in the month it was held in (the month the budget check saw), so a solve admitted just
      // before a month ends cannot push the new month over its budget. A month no longer cached reloads from the
      // ledger, which already has this settlement (release follows the durable settle).
      const m = s.months.get(r.monthKey)
      if (m) {
        m.reserved = Math.max(0, m.reserved - r.reservedMicros)
        if (outcome.solved) m.spent += outcome.priceMicros
      }
      if (r.shared) shared.give(r.tenantId, outcome.now)
    },

    adopt(seed) {
      const t = seed.tenant
      const s = stateOf(t.id)
      const day = localDateOf(seed.createdAt, t.timezone)
      const month = localMonthOf(seed.createdAt, t.timezone)
      // With a loader, the day and month figures include every attempt still open in the ledger, this one too:
      // load them now (before recovery settles it) and add nothing. Without one, nothing counted it yet.
      const counted = dayCount(t, s, day)
      const m = monthState(t, s, month)
      if (!options.loader) {
        s.days.set(day, counted + 1)
        m.reserved += seed.reservedMicros
      }
      s.inFlight++
      const isShared = t.keyMode === 'shared'
      if (isShared) shared.take(t.id, t.shareWeight, seed.createdAt)
      const reservation: Reservation = {
        id: nextId++,
        tenantId: t.id,
        captchaType: seed.captchaType,
        dayKey: day,
        monthKey: month,
        reservedMicros: seed.reservedMicros,
        shared: isShared,
        at: seed.createdAt,
      }
      open.set(reservation.id, reservation)
      return reservation
    },

    snapshot(tenant, now): TenantUsageSnapshot {
      const s = stateOf(tenant.id)
      const day = dayOf(tenant, s, now)
      const month = monthOf(tenant, s, now)
      const m = monthState(tenant, s, month)
      return {
        tenantId: tenant.id,
        inFlight: s.inFlight,
        today: { date: day, counted: dayCount(tenant, s, day) },
        month: { month, spentMicros: m.spent, reservedMicros: m.reserved },
        sharedThreads: shared.usedBy(tenant.id),
      }
    },

    setSharedCapacity(threads) {
      shared.capacity = threads
    },

    sharedUsage: () => ({ capacity: shared.capacity, used: shared.used }),

    openReservations: () => open.size,
  }
}
