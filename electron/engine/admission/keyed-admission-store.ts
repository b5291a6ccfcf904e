/**
 * An admission store whose state is plain counters under keys, as a shared store (Valkey/Redis) would hold it:
 *
 *   t:{tenant}:inflight                 solves in flight
 *   t:{tenant}:day:{YYYY-MM-DD}         the local day's count (solved + in flight), expiring 2 days after it ends
 *   t:{tenant}:month:{YYYY-MM}:spent    the local month's spend and the prices held for solves in flight,
 *   t:{tenant}:month:{YYYY-MM}:held       expiring 32 days after it ends
 *   t:{tenant}:rate                     sorted set: reservation id → when it counts (admission, then submission)
 *   reservation:{id}                    1 while open (2: it holds a rate entry); deleting it makes release once-only
 *   next-reservation                    the last reservation id
 *
 * A day or month met for the first time (or expired) is loaded from the ledger, as in the in-process store. Each
 * operation is one synchronous step over the counters (a script, in Valkey), with the same rules and refusals
 * (admission-rules.ts); test/unit/admission/keyed-store-equivalence.test.ts checks both answer alike. One edge
 * differs: a submission more than a minute after its admission counts here from its time, where the in-process window
 * may already have dropped the entry. The fair share of the platform key's threads is decided by shared-capacity.ts in this
 * process; a store shared by several processes would keep those counts under keys too.
 */
import type { Tenant } from '@shared/tenant'
import { localDateOf, localDayBounds, localMonthBounds, localMonthOf } from '../time/zoned'
import type { AdmissionOptions } from './admission-controller'
import { checkLimits, localPeriodAt, type LocalPeriod, type TenantFigures } from './admission-rules'
import type { Counters } from './memory-counters'
import { SharedCapacity } from './shared-capacity'
import type { AdmissionStore, Reservation } from './types'

const DAY = 86_400_000
const RATE_WINDOW_MS = 60_000
const OPEN = 1
const OPEN_WITH_RATE = 2

export function createKeyedAdmissionStore(
  counters: Counters,
  options: AdmissionOptions = {},
): AdmissionStore {
  const shared = new SharedCapacity(options.sharedThreads)
  const busyRetryMs = options.busyRetryMs ?? 2_000
  /** Each tenant's current local day and month (a cache of pure arithmetic, not state). */
  const periods = new Map<string, { day?: LocalPeriod; month?: LocalPeriod }>()
  const periodsOf = (id: string) => periods.get(id) ?? periods.set(id, {}).get(id)!

  const inFlightKey = (id: string) => `t:${id}:inflight`
  const dayKey = (id: string, day: string) => `t:${id}:day:${day}`
  const monthKey = (id: string, month: string, part: 'spent' | 'held') => `t:${id}:month:${month}:${part}`
  const rateKey = (id: string) => `t:${id}:rate`
  const reservationKey = (id: number) => `reservation:${id}`

  const inFlight = (id: string, now: number) => counters.get(inFlightKey(id), now) ?? 0
  const addInFlight = (id: string, by: number, now: number) =>
    counters.set(inFlightKey(id), Math.max(0, inFlight(id, now) + by))

  const dayCount = (t: Tenant, day: string, now: number): number => {
    const key = dayKey(t.id, day)
    let n = counters.get(key, now)
    if (n === undefined) {
      const [a, b] = localDayBounds(day, t.timezone)
      n = options.loader?.dayCount(t.id, a, b) ?? 0
      counters.set(key, n, b + 2 * DAY)
    }
    return n
  }

  const monthSpend = (t: Tenant, month: string, now: number): { spent: number; reserved: number } => {
    const spent = counters.get(monthKey(t.id, month, 'spent'), now)
    const held = counters.get(monthKey(t.id, month, 'held'), now)
    if (spent !== undefined && held !== undefined) return { spent, reserved: held }
    const [a, b] = localMonthBounds(month, t.timezone)
    const loaded = options.loader?.monthSpend(t.id, a, b) ?? { spentMicros: 0, reservedMicros: 0 }
    counters.set(monthKey(t.id, month, 'spent'), loaded.spentMicros, b + 32 * DAY)
    counters.set(monthKey(t.id, month, 'held'), loaded.reservedMicros, b + 32 * DAY)
    return { spent: loaded.spentMicros, reserved: loaded.reservedMicros }
  }

  const figuresOf = (t: Tenant, now: number): TenantFigures => {
    const p = periodsOf(t.id)
    return {
      inFlight: () => inFlight(t.id, now),
      rate: (limit) => {
        const cutoff = now - RATE_WINDOW_MS
        counters.zremUpTo(rateKey(t.id), cutoff)
        if (counters.zcountAbove(rateKey(t.id), cutoff) < limit) return { ok: true }
        const oldest = counters.zlowestAbove(rateKey(t.id), cutoff)!
        return { ok: false, retryAfterMs: Math.max(1, Math.ceil(oldest + RATE_WINDOW_MS - now)) }
      },
      day: () => {
        p.day = localPeriodAt('day', t.timezone, now, p.day)
        return { period: p.day, counted: dayCount(t, p.day.key, now) }
      },
      month: () => {
        p.month = localPeriodAt('month', t.timezone, now, p.month)
        return { period: p.month, ...monthSpend(t, p.month.key, now) }
      },
      sharedThread: () => {
        const c = shared.check(t.id, t.shareWeight, now)
        if (!c.ok) shared.noteDemand(t.id, t.shareWeight, now)
        return c
      },
    }
  }

  /** Opens a reservation: in flight, a shared thread; returns its id (the day and month are the caller's). */
  const open = (t: Tenant, at: number, withRate: boolean): number => {
    addInFlight(t.id, 1, at)
    if (t.keyMode === 'shared') shared.take(t.id, t.shareWeight, at)
    const id = (counters.get('next-reservation', at) ?? 0) + 1
    counters.set('next-reservation', id)
    counters.set(reservationKey(id), withRate ? OPEN_WITH_RATE : OPEN)
    counters.set('open-reservations', (counters.get('open-reservations', at) ?? 0) + 1)
    return id
  }
  /** Counts a reservation in its day and holds its price in its month. */
  const countIn = (t: Tenant, day: string, month: string, micros: number, now: number): void => {
    counters.incrIfExists(dayKey(t.id, day), 1, now)
    counters.incrIfExists(monthKey(t.id, month, 'held'), micros, now)
  }

  return {
    reserve(request) {
      const { tenant, captchaType, estimateMicros, now } = request
      const checked = checkLimits(request, figuresOf(tenant, now), busyRetryMs)
      if (!checked.ok) return checked
      const day = checked.day.period.key
      const month = checked.month.period.key
      const rated = tenant.limits.requestsPerMinute !== undefined
      countIn(tenant, day, month, estimateMicros, now)
      const id = open(tenant, now, rated)
      if (rated) counters.zadd(rateKey(tenant.id), String(id), now)
      const reservation: Reservation = {
        id,
        tenantId: tenant.id,
        captchaType,
        dayKey: day,
        monthKey: month,
        reservedMicros: estimateMicros,
        shared: tenant.keyMode === 'shared',
        at: now,
      }
      return { ok: true, reservation }
    },

    submitted(r, at) {
      if (counters.get(reservationKey(r.id), at) !== OPEN_WITH_RATE) return
      const key = rateKey(r.tenantId)
      const counted = counters.zscore(key, String(r.id))
      if (counted === undefined || at > counted) counters.zadd(key, String(r.id), at)
    },

    release(r, outcome) {
      if (!counters.del(reservationKey(r.id))) return // released already: it counts once
      const now = outcome.now
      counters.incrIfExists('open-reservations', -1, now)
      addInFlight(r.tenantId, -1, now)
      if (!outcome.solved) {
        const n = counters.get(dayKey(r.tenantId, r.dayKey), now)
        if (n !== undefined) counters.incrIfExists(dayKey(r.tenantId, r.dayKey), n > 0 ? -1 : 0, now)
      }
      // The price stays in the month it was held in; a month no longer held reloads from the ledger, which already
      // has this settlement (release follows the durable settle).
      const held = counters.get(monthKey(r.tenantId, r.monthKey, 'held'), now)
      if (held !== undefined) {
        counters.incrIfExists(
          monthKey(r.tenantId, r.monthKey, 'held'),
          -Math.min(held, r.reservedMicros),
          now,
        )
        if (outcome.solved)
          counters.incrIfExists(monthKey(r.tenantId, r.monthKey, 'spent'), outcome.priceMicros, now)
      }
      if (r.shared) shared.give(r.tenantId, now)
    },

    adopt(seed) {
      const t = seed.tenant
      const at = seed.createdAt
      const day = localDateOf(at, t.timezone)
      const month = localMonthOf(at, t.timezone)
      // With a loader, the day and month loaded now (before recovery settles it) include this open attempt: they are
      // loaded and nothing is added. Without one, nothing counted it yet.
      dayCount(t, day, at)
      monthSpend(t, month, at)
      if (!options.loader) countIn(t, day, month, seed.reservedMicros, at)
      const id = open(t, at, false)
      return {
        id,
        tenantId: t.id,
        captchaType: seed.captchaType,
        dayKey: day,
        monthKey: month,
        reservedMicros: seed.reservedMicros,
        shared: t.keyMode === 'shared',
        at,
      }
    },

    snapshot(tenant, now) {
      const f = figuresOf(tenant, now)
      const day = f.day()
      const month = f.month()
      return {
        tenantId: tenant.id,
        inFlight: inFlight(tenant.id, now),
        today: { date: day.period.key, counted: day.counted },
        month: { month: month.period.key, spentMicros: month.spent, reservedMicros: month.reserved },
        sharedThreads: shared.usedBy(tenant.id),
      }
    },

    setSharedCapacity(threads) {
      shared.capacity = threads
    },

    sharedUsage: () => ({ capacity: shared.capacity, used: shared.used }),

    openReservations: () => counters.get('open-reservations', 0) ?? 0,
  }
}
