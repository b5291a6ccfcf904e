/**
 * The keyed admission store (counters under keys, the shape of a Valkey/Redis store) answers exactly as the
 * in-process store does: thousands of random schedules of admissions, submissions, releases (every outcome, twice),
 * adoptions, capacity changes and clock moves across local midnights, month ends and DST days, over the same ledger
 * figures — every reply, refusal message, retry time, reservation and snapshot is the same.
 * (Submissions come within the minute of their admission, as the solve path sends them.)
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createAdmissionController,
  createKeyedAdmissionStore,
  MemoryCounters,
  type Reservation,
  type UsageLoader,
} from '../../../electron/engine/admission'
import { tenantFixture } from '../../support/tenant-fixture'
import { startInstant, tenantConfig, tenantsFrom } from './schedules'

const op = fc.oneof(
  fc.record({
    kind: fc.constant('admit' as const),
    tenant: fc.nat(2),
    price: fc.integer({ min: 0, max: 5_000 }),
  }),
  fc.record({ kind: fc.constant('submit' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('finish' as const),
    pick: fc.nat(),
    solved: fc.boolean(),
    price: fc.integer({ min: 0, max: 5_000 }),
  }),
  fc.record({ kind: fc.constant('adopt' as const), tenant: fc.nat(2), agoMs: fc.nat(3 * 86_400_000) }),
  fc.record({ kind: fc.constant('capacity' as const), threads: fc.option(fc.integer({ min: 1, max: 8 })) }),
  fc.record({
    kind: fc.constant('tick' as const),
    ms: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 3 * 3_600_000 })),
  }),
)

/** What the ledger holds before the run: a few solves and open attempts a day, some spend a month. */
const loader = (seed: number): UsageLoader => ({
  dayCount: (tenantId, start) => (seed + tenantId.length + Math.floor(start / 86_400_000)) % 4,
  monthSpend: (tenantId, start) => ({
    spentMicros: ((seed + start) % 7) * 1_000,
    reservedMicros: ((seed + tenantId.length) % 3) * 500,
  }),
})

describe('keyed admission store', () => {
  it('answers every schedule exactly as the in-process store does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(tenantConfig(0), fc.boolean(), fc.boolean()), { minLength: 3, maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.option(fc.nat(1_000), { nil: undefined }),
        startInstant,
        fc.array(op, { minLength: 1, maxLength: 300 }),
        (cfgs, sharedThreads, ledgerSeed, start, ops) => {
          let now = start
          const tenants = tenantsFrom(
            cfgs.map(([c]) => c),
            (_, i) => ({
              keyMode: cfgs[i]![1] ? 'own' : 'shared',
              status: cfgs[i]![2] && i === 2 ? 'suspended' : 'active',
            }),
          )
          const options = {
            sharedThreads,
            loader: ledgerSeed === undefined ? undefined : loader(ledgerSeed),
          }
          const a = createAdmissionController(options)
          const b = createKeyedAdmissionStore(new MemoryCounters(), options)
          const open: Reservation[] = []
          for (const o of ops) {
            if (o.kind === 'tick') now += o.ms
            else if (o.kind === 'capacity') {
              a.setSharedCapacity(o.threads ?? undefined)
              b.setSharedCapacity(o.threads ?? undefined)
            } else if (o.kind === 'admit') {
              const request = {
                tenant: tenants[o.tenant]!,
                captchaType: 'image' as const,
                estimateMicros: o.price,
                now,
              }
              const ra = a.reserve(request)
              expect(b.reserve(request)).toEqual(ra)
              if (ra.ok) open.push(ra.reservation)
            } else if (o.kind === 'adopt') {
              const seed = {
                tenant: tenants[o.tenant]!,
                captchaType: 'image' as const,
                createdAt: now - o.agoMs,
                reservedMicros: 300,
              }
              const ra = a.adopt(seed)
              expect(b.adopt(seed)).toEqual(ra)
              open.push(ra)
            } else if (open.length > 0) {
              const r = open[o.pick % open.length]!
              if (o.kind === 'submit') {
                if (r.at <= now - 60_000) continue
                a.submitted(r, now)
                b.submitted(r, now)
              } else {
                open.splice(o.pick % open.length, 1)
                const outcome = { solved: o.solved, priceMicros: o.solved ? o.price : 0, now }
                for (const s of [a, b, a, b]) s.release(r, outcome) // the second release counts nothing
              }
            }
            expect(b.openReservations()).toBe(a.openReservations())
            expect(b.sharedUsage()).toEqual(a.sharedUsage())
          }
          for (const t of tenants) expect(b.snapshot(t, now)).toEqual(a.snapshot(t, now))
        },
      ),
      { numRuns: 1_000 },
    )
  }, 120_000)

  it('counts a submission from its time in the rate window exactly as the in-process store does', () => {
    const rateOp = fc.oneof(
      fc.constant({ kind: 'admit' as const }),
      fc.record({ kind: fc.constant('submit' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(rateOp, { maxLength: 200 }), (rpm, ops) => {
        let now = Date.UTC(2026, 10, 10, 12)
        const t = tenantFixture('r', { keyMode: 'own', limits: { requestsPerMinute: rpm } })
        const a = createAdmissionController()
        const b = createKeyedAdmissionStore(new MemoryCounters())
        const open: Reservation[] = []
        for (const o of ops) {
          if (o.kind === 'tick') now += o.ms
          else if (o.kind === 'admit') {
            const request = { tenant: t, captchaType: 'image' as const, estimateMicros: 0, now }
            const ra = a.reserve(request)
            expect(b.reserve(request)).toEqual(ra)
            if (ra.ok) open.push(ra.reservation)
          } else if (open.length > 0) {
            const r = open[o.pick % open.length]!
            if (o.kind === 'finish') {
              open.splice(o.pick % open.length, 1)
              a.release(r, { solved: true, priceMicros: 0, now })
              b.release(r, { solved: true, priceMicros: 0, now })
            } else if (r.at > now - 60_000) {
              a.submitted(r, now)
              b.submitted(r, now)
            }
          }
        }
      }),
      { numRuns: 1_000 },
    )
  })
})
