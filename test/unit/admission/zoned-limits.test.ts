/**
 * Daily counts reset at the tenant's local midnight (23- and 25-hour days across DST, in two hemispheres' worth of
 * rules), budgets at the start of the local month, and refusals say exactly when to retry. Counts survive a restart
 * through the loader; adopted crash leftovers are released without leaking.
 */
import { describe, expect, it } from 'vitest'
import type { Tenant } from '@shared/tenant'
import {
  createAdmissionController,
  type AdmissionStore,
  type Reservation,
} from '../../../electron/engine/admission'
import { tenantFixture } from '../../support/tenant-fixture'

const H = 3_600_000
const admit = (ctl: AdmissionStore, t: Tenant, now: number, price = 0) =>
  ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: price, now })

function fill(ctl: AdmissionStore, t: Tenant, now: number, n: number): Reservation[] {
  const out: Reservation[] = []
  for (let i = 0; i < n; i++) {
    const r = admit(ctl, t, now)
    if (!r.ok) throw new Error(`expected admission ${i}: ${r.message}`)
    out.push(r.reservation)
    ctl.release(r.reservation, { solved: true, priceMicros: 0, now })
  }
  return out
}

const days: Array<{ zone: string; date: string; startUtc: string; hours: number }> = [
  { zone: 'Europe/Berlin', date: '2026-03-29', startUtc: '2026-03-28T23:00:00Z', hours: 23 },
  { zone: 'Europe/Berlin', date: '2026-10-25', startUtc: '2026-10-24T22:00:00Z', hours: 25 },
  { zone: 'America/New_York', date: '2026-03-08', startUtc: '2026-03-08T05:00:00Z', hours: 23 },
  { zone: 'America/New_York', date: '2026-11-01', startUtc: '2026-11-01T04:00:00Z', hours: 25 },
  { zone: 'Asia/Kolkata', date: '2026-06-01', startUtc: '2026-05-31T18:30:00Z', hours: 24 },
]

describe('daily limit by the tenant’s local day', () => {
  for (const d of days) {
    it(`${d.zone} ${d.date}: a ${d.hours}-hour day, reset exactly at local midnight`, () => {
      const t = tenantFixture('t', { timezone: d.zone, limits: { solvesPerDay: 3 } })
      const ctl = createAdmissionController()
      const start = Date.parse(d.startUtc)
      const end = start + d.hours * H
      // The last instant of the previous local day still counts there.
      fill(ctl, t, start - 1, 3)
      expect(admit(ctl, t, start - 1)).toMatchObject({ ok: false, limit: 'daily', retryAfterMs: 1 })
      // A fresh day starts at local midnight, whatever the UTC offset did.
      fill(ctl, t, start, 3)
      const refused = admit(ctl, t, start + 10 * 60_000)
      expect(refused).toMatchObject({ ok: false, limit: 'daily', retryAfterMs: end - start - 10 * 60_000 })
      // The message says when, in words and on the tenant's clock.
      expect(refused.ok ? '' : refused.message).toMatch(
        /resets in \d+ h( \d+ min)?, at 00:00( on \d+ \w+)? .+ time\.$/,
      )
      expect(ctl.snapshot(t, end - 1).today).toEqual({ date: d.date, counted: 3 })
      expect(admit(ctl, t, end - 1)).toMatchObject({ ok: false, limit: 'daily', retryAfterMs: 1 })
      expect(admit(ctl, t, end).ok).toBe(true)
      expect(ctl.snapshot(t, end).today.counted).toBe(1)
    })
  }

  it('a solve admitted before midnight that fails after it gives back the old day’s slot, not the new day’s', () => {
    const t = tenantFixture('t', { timezone: 'America/New_York', limits: { solvesPerDay: 2 } })
    const ctl = createAdmissionController()
    const midnight = Date.parse('2026-11-02T05:00:00Z') // local midnight after the 25-hour day
    const late = admit(ctl, t, midnight - 1_000)
    if (!late.ok) throw new Error('admit')
    fill(ctl, t, midnight, 2)
    ctl.release(late.reservation, { solved: false, priceMicros: 0, now: midnight + 5_000 })
    expect(ctl.snapshot(t, midnight - 1).today).toEqual({ date: '2026-11-01', counted: 0 })
    expect(ctl.snapshot(t, midnight + 5_000).today).toEqual({ date: '2026-11-02', counted: 2 })
    expect(admit(ctl, t, midnight + 6_000)).toMatchObject({ ok: false, limit: 'daily' })
  })

  it('in-flight solves count against the day; failures give their place back', () => {
    const t = tenantFixture('t', { limits: { solvesPerDay: 2 } })
    const ctl = createAdmissionController()
    const now = Date.UTC(2026, 0, 10, 12)
    const a = admit(ctl, t, now)
    const b = admit(ctl, t, now)
    expect(admit(ctl, t, now)).toMatchObject({ ok: false, limit: 'daily' })
    if (!a.ok || !b.ok) throw new Error('admit')
    ctl.release(a.reservation, { solved: false, priceMicros: 0, now })
    expect(admit(ctl, t, now).ok).toBe(true)
  })
})

describe('monthly budget by the tenant’s local month', () => {
  it('holds the price while in flight, turns it into spend on a solve, resets at the local month start', () => {
    const t = tenantFixture('t', { timezone: 'Europe/Berlin', limits: { monthlyBudgetMicros: 10_000 } })
    const ctl = createAdmissionController()
    const now = Date.parse('2026-10-31T20:00:00Z') // 21:00 in Berlin (CET), last day of October
    const nextMonth = Date.parse('2026-10-31T23:00:00Z') // 1 November 00:00 in Berlin
    const a = admit(ctl, t, now, 6_000)
    expect(a.ok).toBe(true)
    // 6,000 held + 6,000 would exceed 10,000: refused until the next local month.
    expect(admit(ctl, t, now, 6_000)).toMatchObject({
      ok: false,
      limit: 'budget',
      retryAfterMs: nextMonth - now,
    })
    expect(admit(ctl, t, now, 4_000).ok).toBe(true) // exactly at the budget is allowed
    if (!a.ok) throw new Error('admit')
    ctl.release(a.reservation, { solved: true, priceMicros: 6_000, now })
    expect(ctl.snapshot(t, now).month).toEqual({
      month: '2026-10',
      spentMicros: 6_000,
      reservedMicros: 4_000,
    })
    expect(admit(ctl, t, nextMonth - 1, 1)).toMatchObject({ ok: false, limit: 'budget', retryAfterMs: 1 })
    expect(admit(ctl, t, nextMonth, 10_000).ok).toBe(true)
    expect(ctl.snapshot(t, nextMonth).month).toEqual({
      month: '2026-11',
      spentMicros: 0,
      reservedMicros: 10_000,
    })
  })
})

describe('restart and recovery', () => {
  it('seeds today’s count and the month’s spend from the ledger so a restart resets nobody', () => {
    const t = tenantFixture('t', {
      timezone: 'America/New_York',
      limits: { solvesPerDay: 10, monthlyBudgetMicros: 50_000 },
    })
    const asked: Array<[number, number]> = []
    const ctl = createAdmissionController({
      loader: {
        dayCount: (_id, a, b) => {
          asked.push([a, b])
          return 10
        },
        monthSpend: () => ({ spentMicros: 45_000, reservedMicros: 0 }),
      },
    })
    const now = Date.parse('2026-03-08T12:00:00Z')
    expect(admit(ctl, t, now, 1)).toMatchObject({
      ok: false,
      limit: 'daily',
      retryAfterMs: Date.parse('2026-03-09T04:00:00Z') - now,
    })
    expect(asked).toEqual([[Date.parse('2026-03-08T05:00:00Z'), Date.parse('2026-03-09T04:00:00Z')]])
    const tomorrow = Date.parse('2026-03-09T04:00:00Z')
    // The next day is loaded afresh (10 again from this loader), so still refused; the month has 5,000 left.
    expect(admit(ctl, t, tomorrow, 1)).toMatchObject({ ok: false, limit: 'daily' })
  })

  it('adopted leftovers hold a thread and their place, and release back to the baseline (with and without a loader)', () => {
    const t = tenantFixture('t', { limits: { solvesPerDay: 5, monthlyBudgetMicros: 10_000 } })
    const now = Date.UTC(2026, 6, 1, 12)
    for (const withLoader of [false, true]) {
      const ctl = createAdmissionController({
        sharedThreads: 2,
        // The ledger sees the two open leftovers (2 in the day, 2 × 3,000 held).
        loader: withLoader
          ? { dayCount: () => 2, monthSpend: () => ({ spentMicros: 0, reservedMicros: 6_000 }) }
          : undefined,
      })
      const seed = { tenant: t, captchaType: 'image' as const, createdAt: now - 5_000, reservedMicros: 3_000 }
      const r1 = ctl.adopt(seed)
      const r2 = ctl.adopt(seed)
      expect(ctl.snapshot(t, now)).toMatchObject({
        inFlight: 2,
        sharedThreads: 2,
        today: { counted: 2 },
        month: { reservedMicros: 6_000, spentMicros: 0 },
      })
      expect(admit(ctl, t, now)).toMatchObject({ ok: false, limit: 'shared_capacity' })
      ctl.release(r1, { solved: true, priceMicros: 3_000, now })
      ctl.release(r2, { solved: false, priceMicros: 0, now })
      ctl.release(r2, { solved: false, priceMicros: 0, now })
      expect(ctl.openReservations()).toBe(0)
      expect(ctl.snapshot(t, now)).toMatchObject({
        inFlight: 0,
        sharedThreads: 0,
        today: { counted: 1 },
        month: { reservedMicros: 0, spentMicros: 3_000 },
      })
    }
  })

  it('a suspended tenant is refused with nothing reserved', () => {
    const t = tenantFixture('t', { status: 'suspended', limits: { requestsPerMinute: 1 } })
    const ctl = createAdmissionController({ sharedThreads: 1 })
    expect(admit(ctl, t, 0)).toMatchObject({ ok: false, limit: 'suspended' })
    expect(ctl.openReservations()).toBe(0)
    expect(admit(ctl, { ...t, status: 'active' }, 0).ok).toBe(true) // the refusal took no rate
  })
})
