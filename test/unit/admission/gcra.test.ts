/** GCRA: the burst it allows, the exact retry time it names, and that refusals consume nothing. */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createAdmissionController, gcraCheck, gcraParams } from '../../../electron/engine/admission'
import { tenantFixture } from '../../support/tenant-fixture'

describe('GCRA', () => {
  it('allows a burst of ceil(limit / 10) up front, then one per 60 s / (limit − burst + 1)', () => {
    const p = gcraParams(60)
    expect(p.burst).toBe(6)
    let tat = -Infinity
    for (let i = 0; i < 6; i++) {
      const d = gcraCheck(p, tat, 0)
      expect(d.ok).toBe(true)
      tat = d.tat
    }
    const refused = gcraCheck(p, tat, 0)
    expect(refused.ok).toBe(false)
    expect(refused.retryAfterMs).toBe(Math.ceil(60_000 / 55))
  })

  it('property: retrying after retryAfterMs is admitted; a millisecond earlier is not; refusals change nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 200 }),
        (rpm, gaps) => {
          const t = tenantFixture('t', { limits: { requestsPerMinute: rpm } })
          const ctl = createAdmissionController()
          let now = 5_000_000
          for (const g of gaps) {
            now += g
            const r = ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now })
            if (r.ok) {
              ctl.release(r.reservation, { solved: true, priceMicros: 0, now })
              continue
            }
            expect(r.limit).toBe('rate')
            expect(r.retryAfterMs).toBeGreaterThan(0)
            expect(r.retryAfterMs).toBeLessThanOrEqual(60_000)
            // hammering while refused consumes nothing
            for (let i = 0; i < 5; i++)
              expect(ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now }).ok).toBe(false)
            if (r.retryAfterMs > 1) {
              const early = ctl.reserve({
                tenant: t,
                captchaType: 'image',
                estimateMicros: 0,
                now: now + r.retryAfterMs - 1,
              })
              expect(early.ok).toBe(false)
            }
            now += r.retryAfterMs
            const again = ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now })
            expect(again.ok).toBe(true)
            if (again.ok) ctl.release(again.reservation, { solved: true, priceMicros: 0, now })
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('a tenant refused for another limit keeps its rate allowance', () => {
    const t = tenantFixture('t', { limits: { requestsPerMinute: 1, maxConcurrent: 1 } })
    const ctl = createAdmissionController()
    const a = ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now: 0 })
    expect(a.ok).toBe(true)
    for (let i = 0; i < 100; i++)
      expect(ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now: 60_000 })).toMatchObject({
        limit: 'concurrency',
      })
    if (a.ok) ctl.release(a.reservation, { solved: true, priceMicros: 0, now: 60_000 })
    expect(ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now: 60_000 }).ok).toBe(true)
  })
})
