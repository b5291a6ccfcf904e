/**
 * Fair share of the platform key's threads. Rule under test (shared-capacity.ts): a tenant under its weighted share
 * (capacity × weight / Σ weights of tenants active in the last 30 s) is admitted while any thread is free; a tenant
 * at or over it may borrow only while the pool is below 80 % busy.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Tenant } from '@shared/tenant'
import {
  AdmissionQueue,
  createAdmissionController,
  type Reservation,
} from '../../../electron/engine/admission'
import { tenantFixture } from '../../support/tenant-fixture'

/**
 * Every tenant asks for threads whenever it can (saturating the key); each solve holds its thread for a random
 * number of steps. Returns grants and thread-steps per tenant, counted after a warm-up.
 */
function saturate(
  tenants: Tenant[],
  capacity: number,
  steps: number,
  durations: number[],
  order: number[],
): { grants: number[]; held: number[]; maxUsed: number } {
  const ctl = createAdmissionController({ sharedThreads: capacity })
  const open: Array<{ r: Reservation; endsAt: number }> = []
  const grants = tenants.map(() => 0)
  const held = tenants.map(() => 0)
  let maxUsed = 0
  // Each tenant draws its solve times from the same list with its own cursor: same distribution, independent of
  // who asked first (a shared cursor would hand one tenant the long solves systematically).
  const cursor = tenants.map(() => 0)
  const warmup = Math.floor(steps / 5)
  for (let step = 0; step < steps; step++) {
    const now = step * 100
    for (let i = open.length - 1; i >= 0; i--)
      if (open[i]!.endsAt <= step) {
        ctl.release(open[i]!.r, { solved: true, priceMicros: 0, now })
        open.splice(i, 1)
      }
    // tenants ask in a rotating, randomised order
    const first = order[step % order.length]! % tenants.length
    for (let k = 0; k < tenants.length; k++) {
      const ti = (first + k) % tenants.length
      for (;;) {
        const a = ctl.reserve({ tenant: tenants[ti]!, captchaType: 'image', estimateMicros: 0, now })
        if (!a.ok) {
          expect(a.limit).toBe('shared_capacity')
          break
        }
        open.push({ r: a.reservation, endsAt: step + durations[cursor[ti]!++ % durations.length]! })
        if (step >= warmup) grants[ti]!++
      }
    }
    maxUsed = Math.max(maxUsed, ctl.sharedUsage().used)
    if (step >= warmup) for (const o of open) held[tenants.findIndex((t) => t.id === o.r.tenantId)]!++
  }
  return { grants, held, maxUsed }
}

describe('fair share of the shared key', () => {
  it('property: two equal tenants saturating the key each get at least their share − ε of grants and threads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 64 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 20, maxLength: 60 }),
        fc.array(fc.nat(1), { minLength: 1, maxLength: 10 }),
        (capacity, durations, order) => {
          const ts = [tenantFixture('a'), tenantFixture('b')]
          const { grants, held, maxUsed } = saturate(ts, capacity, 400, durations, order)
          expect(maxUsed).toBeLessThanOrEqual(capacity)
          const g = grants[0]! + grants[1]!
          const h = held[0]! + held[1]!
          // A share is held in whole threads: with an odd capacity the odd thread goes to whoever asks first, so
          // the floor is ⌊capacity / 2⌋ / capacity (0.4 of 5 threads); ε = 0.1 covers random solve times.
          const share = Math.floor(capacity / 2) / capacity
          for (let i = 0; i < 2; i++) {
            expect(grants[i]! / g).toBeGreaterThanOrEqual(share - 0.1 - 1e-9)
            expect(held[i]! / h).toBeGreaterThanOrEqual(share - 0.1 - 1e-9)
          }
        },
      ),
      { numRuns: 120 },
    )
  }, 30_000)

  it('property: weighted tenants get at least their weighted share − ε of the threads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 10, max: 80 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 20, maxLength: 40 }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 10 }),
        (weights, capacity, durations, order) => {
          const ts = weights.map((w, i) => tenantFixture(`t${i}`, { shareWeight: w }))
          const { held, maxUsed } = saturate(ts, capacity, 400, durations, order)
          expect(maxUsed).toBeLessThanOrEqual(capacity)
          const total = held.reduce((a, b) => a + b, 0)
          const sum = weights.reduce((a, b) => a + b, 0)
          weights.forEach((w, i) => {
            // Shares are held in whole threads: each saturating tenant is guaranteed ⌊its share⌋ threads.
            const share = Math.floor((capacity * w) / sum) / capacity
            expect(held[i]! / total).toBeGreaterThanOrEqual(share - 0.1 - 1e-9)
          })
        },
      ),
      { numRuns: 100 },
    )
  }, 30_000)

  it('one busy tenant cannot starve a newcomer: it wins freed threads until it holds its share', () => {
    const ctl = createAdmissionController({ sharedThreads: 10 })
    const busy = tenantFixture('busy')
    const late = tenantFixture('late')
    const held: Reservation[] = []
    const take = (t: Tenant, now: number) => {
      const a = ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now })
      if (a.ok) held.push(a.reservation)
      return a.ok
    }
    while (take(busy, 0));
    expect(held).toHaveLength(10) // alone, it may use the whole idle pool
    expect(take(late, 0)).toBe(false) // the pool is full; the refusal registers its demand
    for (let i = 0; i < 5; i++) {
      ctl.release(held.shift()!, { solved: true, priceMicros: 0, now: 1 })
      expect(take(busy, 1)).toBe(false) // over its share of 5 with the pool ≥ 80 % busy
      expect(take(late, 1)).toBe(true)
    }
    expect(held.filter((r) => r.tenantId === 'late')).toHaveLength(5)
  })

  it('an idle tenant’s share is borrowable once it has been idle 30 s', () => {
    const ctl = createAdmissionController({ sharedThreads: 10 })
    const a = tenantFixture('a')
    const b = tenantFixture('b')
    const rb = ctl.reserve({ tenant: b, captchaType: 'image', estimateMicros: 0, now: 0 })
    if (!rb.ok) throw new Error('admit')
    ctl.release(rb.reservation, { solved: true, priceMicros: 0, now: 0 })
    let got = 0
    while (ctl.reserve({ tenant: a, captchaType: 'image', estimateMicros: 0, now: 1_000 }).ok) got++
    expect(got).toBe(8) // b was active a second ago: a borrows up to the 80 % mark and stops
    expect(ctl.reserve({ tenant: a, captchaType: 'image', estimateMicros: 0, now: 31_000 }).ok).toBe(true)
    expect(ctl.reserve({ tenant: a, captchaType: 'image', estimateMicros: 0, now: 31_000 }).ok).toBe(true)
    expect(ctl.sharedUsage()).toEqual({ capacity: 10, used: 10 })
  })

  it('own-key tenants never use the shared threads', () => {
    const ctl = createAdmissionController({ sharedThreads: 1 })
    const own = tenantFixture('own', { keyMode: 'own' })
    for (let i = 0; i < 5; i++)
      expect(ctl.reserve({ tenant: own, captchaType: 'image', estimateMicros: 0, now: 0 }).ok).toBe(true)
    expect(ctl.sharedUsage().used).toBe(0)
  })
})

describe('wait queue', () => {
  it('grants freed threads to waiters in proportion to their weights (stride), FIFO within a tenant', async () => {
    const store = createAdmissionController({ sharedThreads: 1 })
    const q = new AdmissionQueue(store)
    const heavy = tenantFixture('heavy', { shareWeight: 3 })
    const light = tenantFixture('light', { shareWeight: 1 })
    const first = q.admit({ tenant: light, captchaType: 'image', estimateMicros: 0 }, { waitMs: 0 })
    if (first instanceof Promise || !first.ok) throw new Error('admit')
    const order: string[] = []
    const pending: Array<Promise<unknown>> = []
    for (let i = 0; i < 12; i++)
      for (const t of [heavy, light])
        pending.push(
          Promise.resolve(
            q.admit({ tenant: t, captchaType: 'image', estimateMicros: 0 }, { waitMs: 60_000 }),
          ).then((a) => {
            if (!a.ok) throw new Error(a.message)
            order.push(`${t.id}`)
            setImmediate(() => q.release(a.reservation, { solved: true, priceMicros: 0, now: Date.now() }))
          }),
        )
    expect(q.waiting()).toBe(24)
    q.release(first.reservation, { solved: true, priceMicros: 0, now: Date.now() })
    await Promise.all(pending)
    await new Promise((r) => setImmediate(r)) // the last grant's release
    const firstSixteen = order.slice(0, 16)
    expect(firstSixteen.filter((x) => x === 'heavy').length).toBe(12)
    expect(firstSixteen.filter((x) => x === 'light').length).toBe(4)
    expect(q.waiting()).toBe(0)
    expect(store.openReservations()).toBe(0)
  })

  it('answers at once for refusals a wait cannot help, and refuses beyond its bound', async () => {
    const store = createAdmissionController()
    const q = new AdmissionQueue(store, { maxWaiters: 1 })
    const t = tenantFixture('t', { limits: { solvesPerDay: 1, maxConcurrent: 1 } })
    const a = q.admit({ tenant: t, captchaType: 'image', estimateMicros: 0 }, { waitMs: 10_000 })
    if (a instanceof Promise || !a.ok) throw new Error('admit')
    const w1 = q.admit({ tenant: t, captchaType: 'image', estimateMicros: 0 }, { waitMs: 10_000 })
    expect(w1).toBeInstanceOf(Promise)
    expect(q.admit({ tenant: t, captchaType: 'image', estimateMicros: 0 }, { waitMs: 10_000 })).toMatchObject(
      {
        ok: false,
        limit: 'concurrency',
      },
    )
    // The slot frees, but the day is used up (the first one solved): the waiter hears "daily" now, not in 10 s.
    q.release(a.reservation, { solved: true, priceMicros: 0, now: Date.now() })
    expect(await w1).toMatchObject({ ok: false, limit: 'daily' })
    expect(q.waiting()).toBe(0)
  })
})
