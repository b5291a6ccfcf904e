/**
 * In-process admission control: one synchronous step checks every limit and reserves (nothing awaits between check
 * and reserve, so concurrent solves cannot overshoot), and `release` returns exactly what `reserve` took.
 */
import type { Tenant } from '@shared/tenant'
import { localDateOf, localDayBounds, localMonthBounds, localMonthOf } from '../time/zoned'
import { checkLimits, localPeriodAt, type LocalPeriod, type TenantFigures } from './admission-rules'
import { SlidingWindow, type WindowEntry } from './sliding-window'
import { SharedCapacity } from './shared-capacity'
import type { AdmissionStore, Reservation, TenantUsageSnapshot, UsageLoader } from './types'

interface TenantState {
  dayWindow?: LocalPeriod
  monthWindow?: LocalPeriod
  rate: SlidingWindow
  inFlight: number
  days: Map<string, number>
  months: Map<string, { spent: number; reserved: number }>
  /** The tenant and instant being checked, which `figures` reads (made once per tenant: reserve is a hot path). */
  asked?: { tenant: Tenant; now: number }
  figures?: TenantFigures
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

  /** Local day / month of `now`, recomputed only when `now` leaves the cached window. */
  const dayOf = (t: Tenant, s: TenantState, now: number): string =>
    (s.dayWindow = localPeriodAt('day', t.timezone, now, s.dayWindow)).key
  const monthOf = (t: Tenant, s: TenantState, now: number): string =>
    (s.monthWindow = localPeriodAt('month', t.timezone, now, s.monthWindow)).key

  const figuresOf = (t: Tenant, s: TenantState, now: number): TenantFigures => {
    s.asked = { tenant: t, now }
    return (s.figures ??= figuresFor(s))
  }
  const figuresFor = (s: TenantState): TenantFigures => ({
    inFlight: () => s.inFlight,
    rate: (limit) => s.rate.check(limit, s.asked!.now),
    day: () => {
      const { tenant, now } = s.asked!
      const day = dayOf(tenant, s, now)
      return { period: s.dayWindow!, counted: dayCount(tenant, s, day) }
    },
    month: () => {
      const { tenant, now } = s.asked!
      const m = monthState(tenant, s, monthOf(tenant, s, now))
      return { period: s.monthWindow!, spent: m.spent, reserved: m.reserved }
    },
    sharedThread: () => {
      const { tenant, now } = s.asked!
      const c = shared.check(tenant.id, tenant.shareWeight, now)
      if (!c.ok) shared.noteDemand(tenant.id, tenant.shareWeight, now)
      return c
    },
  })

  return {
    reserve(request) {
      const { tenant, captchaType, estimateMicros, now } = request
      const s = stateOf(tenant.id)
      const checked = checkLimits(request, figuresOf(tenant, s, now), busyRetryMs)
      if (!checked.ok) return checked
      // All checks passed: reserve everything at once.
      const day = checked.day.period.key
      const month = checked.month.period.key
      const rateEntry = tenant.limits.requestsPerMinute !== undefined ? s.rate.take(now) : undefined
      s.inFlight++
      s.days.set(day, checked.day.counted + 1)
      s.months.get(month)!.reserved += estimateMicros
      const isShared = tenant.keyMode === 'shared'
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
