/**
 * Property tests: thousands of random schedules of admissions, completions (every outcome) and clock moves across
 * local midnights, month ends and DST days. No limit is ever exceeded and no reservation leaks.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { tenantFixture } from '../../support/tenant-fixture'
import { createAdmissionController, type Reservation } from '../../../electron/engine/admission'
import { localDateOf, localMonthOf } from '../../../electron/engine/time/zoned'
import { startInstant, tenantConfig, tenantsFrom } from './schedules'

const tenant = tenantFixture

const op = fc.oneof(
  fc.record({
    kind: fc.constant('admit' as const),
    tenant: fc.nat(2),
    price: fc.integer({ min: 0, max: 5_000 }),
  }),
  fc.record({
    kind: fc.constant('finish' as const),
    pick: fc.nat(),
    outcome: fc.constantFrom('solved', 'failed', 'timed_out', 'cancelled'),
  }),
  fc.record({
    kind: fc.constant('tick' as const),
    ms: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 3 * 3_600_000 })),
  }),
)

describe('admission control properties', () => {
  it('never exceeds rate, daily, concurrency, budget or shared capacity, and releases everything', () => {
    fc.assert(
      fc.property(
        fc.array(tenantConfig(1), { minLength: 3, maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        startInstant,
        fc.array(op, { minLength: 1, maxLength: 300 }),
        (cfgs, sharedThreads, start, ops) => {
          let now = start
          const tenants = tenantsFrom(cfgs)
          const ctl = createAdmissionController({ sharedThreads })
          const open: Reservation[] = []
          const admits = new Map<string, number[]>()
          const counted = new Map<string, number>() // tenant|day → solved + open
          const spend = new Map<string, number>() // tenant|month → spent + reserved
          for (const o of ops) {
            if (o.kind === 'tick') now += o.ms
            else if (o.kind === 'admit') {
              const t = tenants[o.tenant]!
              const r = ctl.reserve({ tenant: t, captchaType: 'turnstile', estimateMicros: o.price, now })
              if (!r.ok) {
                expect(r.retryAfterMs).toBeGreaterThanOrEqual(0)
                continue
              }
              open.push(r.reservation)
              const list = admits.get(t.id) ?? []
              list.push(now)
              admits.set(t.id, list)
              const dk = `${t.id}|${localDateOf(now, t.timezone)}`
              counted.set(dk, (counted.get(dk) ?? 0) + 1)
              const mk = `${t.id}|${localMonthOf(now, t.timezone)}`
              spend.set(mk, (spend.get(mk) ?? 0) + o.price)
              // limits hold right after every admission
              const L = t.limits
              if (L.maxConcurrent !== undefined)
                expect(open.filter((x) => x.tenantId === t.id).length).toBeLessThanOrEqual(L.maxConcurrent)
              if (L.solvesPerDay !== undefined) expect(counted.get(dk)).toBeLessThanOrEqual(L.solvesPerDay)
              if (L.monthlyBudgetMicros !== undefined)
                expect(spend.get(mk)).toBeLessThanOrEqual(L.monthlyBudgetMicros)
              if (L.requestsPerMinute !== undefined) {
                const inWindow = list.filter((a) => a > now - 60_000).length
                expect(inWindow).toBeLessThanOrEqual(L.requestsPerMinute)
              }
              if (sharedThreads !== undefined)
                expect(open.filter((x) => x.shared).length).toBeLessThanOrEqual(sharedThreads)
            } else if (open.length > 0) {
              const r = open.splice(o.pick % open.length, 1)[0]!
              const t = tenants.find((x) => x.id === r.tenantId)!
              const solved = o.outcome === 'solved'
              ctl.release(r, { solved, priceMicros: solved ? r.reservedMicros : 0, now })
              ctl.release(r, { solved, priceMicros: solved ? r.reservedMicros : 0, now }) // a second release counts nothing
              if (!solved) {
                const dk = `${t.id}|${r.dayKey}`
                counted.set(dk, (counted.get(dk) ?? 0) - 1)
                const mk = `${t.id}|${r.monthKey}`
                spend.set(mk, (spend.get(mk) ?? 0) - r.reservedMicros)
              }
            }
          }
          for (const r of open.splice(0)) ctl.release(r, { solved: false, priceMicros: 0, now })
          expect(ctl.openReservations()).toBe(0)
          for (const t of tenants) {
            const s = ctl.snapshot(t, now)
            expect(s.inFlight).toBe(0)
            expect(s.sharedThreads).toBe(0)
            expect(s.month.reservedMicros).toBe(0)
          }
        },
      ),
      { numRuns: 1_500 },
    )
  }, 60_000)

  it('rate limit: no sliding minute ever admits more than the limit, even across window boundaries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.integer({ min: 0, max: 4_000 }), { minLength: 1, maxLength: 500 }),
        (rpm, gaps) => {
          const ctl = createAdmissionController()
          const t = tenant('r', { limits: { requestsPerMinute: rpm } })
          let now = 1_000_000
          const times: number[] = []
          for (const g of gaps) {
            now += g
            const r = ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now })
            if (r.ok) {
              times.push(now)
              ctl.release(r.reservation, { solved: true, priceMicros: 0, now })
            }
          }
          for (let i = 0; i < times.length; i++) {
            let j = i
            while (j < times.length && times[j]! < times[i]! + 60_000) j++
            expect(j - i).toBeLessThanOrEqual(rpm)
          }
        },
      ),
      { numRuns: 1_000 },
    )
  })

  it('fair share: two equal tenants saturating 10 shared threads each get their share; a late tenant is not starved', () => {
    const ctl = createAdmissionController({ sharedThreads: 10 })
    const a = tenant('a')
    const b = tenant('b')
    let now = 0
    const held: Reservation[] = []
    // a is alone: its share is the whole pool, so it may use every idle thread.
    for (let i = 0; i < 20; i++) {
      const r = ctl.reserve({ tenant: a, captchaType: 'image', estimateMicros: 0, now })
      if (r.ok) held.push(r.reservation)
    }
    expect(held.length).toBe(10)
    // b arrives to a full pool: refused for now, but its demand makes the shares 5 / 5.
    let bGot = 0
    for (let i = 0; i < 5; i++)
      if (ctl.reserve({ tenant: b, captchaType: 'image', estimateMicros: 0, now }).ok) bGot++
    expect(bGot).toBe(0)
    // As a's solves end, b (under its share of 5) wins the freed threads; a (over its share) does not.
    let grantsA = 0
    let grantsB = bGot
    for (let round = 0; round < 200; round++) {
      now += 100
      const r = held.shift()
      if (r) ctl.release(r, { solved: true, priceMicros: 0, now })
      for (const t of [a, b]) {
        const x = ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now })
        if (x.ok) {
          held.push(x.reservation)
          if (t === a) grantsA++
          else grantsB++
        }
      }
    }
    const aNow = held.filter((r) => r.tenantId === 'a').length
    const bNow = held.filter((r) => r.tenantId === 'b').length
    expect(aNow).toBe(5)
    expect(bNow).toBe(5)
    expect(grantsB).toBeGreaterThan(grantsA * 0.8)
  })
})
