/** "N requests per minute": at most N in any 60-second window, a burst of N allowed, exact retry times. */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createAdmissionController } from '../../../electron/engine/admission'
import { tenantFixture } from '../../support/tenant-fixture'

const reserve = (
  ctl: ReturnType<typeof createAdmissionController>,
  t: ReturnType<typeof tenantFixture>,
  now: number,
) => ctl.reserve({ tenant: t, captchaType: 'image', estimateMicros: 0, now })

describe('rate limit: at most N in any 60 seconds', () => {
  it('3/min admits three at once (a second apart too), refuses the 4th until a minute after the 1st', () => {
    const t = tenantFixture('t', { limits: { requestsPerMinute: 3 } })
    const ctl = createAdmissionController()
    expect(reserve(ctl, t, 0).ok).toBe(true)
    expect(reserve(ctl, t, 1_000).ok).toBe(true)
    expect(reserve(ctl, t, 1_000).ok).toBe(true)
    const refused = reserve(ctl, t, 2_000)
    expect(refused).toMatchObject({ ok: false, limit: 'rate', retryAfterMs: 58_000 })
    expect(reserve(ctl, t, 59_999).ok).toBe(false)
    expect(reserve(ctl, t, 60_000).ok).toBe(true)
    expect(reserve(ctl, t, 60_001).ok).toBe(false)
  })

  it('counts a solve from the moment it reached the upstream, so the upstream never sees more than N a minute', () => {
    const t = tenantFixture('t', { limits: { requestsPerMinute: 2 } })
    const ctl = createAdmissionController()
    const a = reserve(ctl, t, 0)
    const b = reserve(ctl, t, 0)
    if (!a.ok || !b.ok) throw new Error('expected admissions')
    ctl.submitted(a.reservation, 500) // in.php retried: accepted upstream half a second later
    ctl.submitted(b.reservation, 10)
    expect(reserve(ctl, t, 60_000).ok).toBe(false) // b's submission (t=10) still inside the window
    expect(reserve(ctl, t, 60_010).ok).toBe(true) // b left the window; a (t=500) still counts
    expect(reserve(ctl, t, 60_400).ok).toBe(false)
    expect(reserve(ctl, t, 60_500).ok).toBe(true)
  })

  it('property: any 60-second window holds at most N admissions; retrying after retryAfterMs is admitted, 1 ms before is not; refusals consume nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (rpm, gaps) => {
          const t = tenantFixture('t', { limits: { requestsPerMinute: rpm } })
          const ctl = createAdmissionController()
          const admitted: number[] = []
          let now = 5_000_000
          for (const g of gaps) {
            now += g
            const r = reserve(ctl, t, now)
            if (r.ok) {
              admitted.push(now)
              ctl.release(r.reservation, { solved: true, priceMicros: 0, now })
              continue
            }
            expect(r.limit).toBe('rate')
            expect(r.retryAfterMs).toBeGreaterThan(0)
            expect(r.retryAfterMs).toBeLessThanOrEqual(60_000)
            for (let i = 0; i < 5; i++) expect(reserve(ctl, t, now).ok).toBe(false)
            if (r.retryAfterMs > 1) expect(reserve(ctl, t, now + r.retryAfterMs - 1).ok).toBe(false)
            now += r.retryAfterMs
            const again = reserve(ctl, t, now)
            expect(again.ok).toBe(true)
            if (again.ok) {
              admitted.push(now)
              ctl.release(again.reservation, { solved: true, priceMicros: 0, now })
            }
          }
          // Sliding check over every admission: the window (t − 60 s, t] never holds more than N.
          for (let i = 0; i < admitted.length; i++) {
            let n = 0
            for (let j = i; j >= 0 && admitted[j]! > admitted[i]! - 60_000; j--) n++
            expect(n).toBeLessThanOrEqual(rpm)
          }
          // And a burst of N is always allowed after a quiet minute.
          now += 60_000
          for (let i = 0; i < rpm; i++) expect(reserve(ctl, t, now).ok).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a tenant refused for another limit keeps its rate allowance', () => {
    const t = tenantFixture('t', { limits: { requestsPerMinute: 1, maxConcurrent: 1 } })
    const ctl = createAdmissionController()
    const a = reserve(ctl, t, 0)
    expect(a.ok).toBe(true)
    for (let i = 0; i < 100; i++) expect(reserve(ctl, t, 60_000)).toMatchObject({ limit: 'concurrency' })
    if (a.ok) ctl.release(a.reservation, { solved: true, priceMicros: 0, now: 60_000 })
    expect(reserve(ctl, t, 60_000).ok).toBe(true)
  })
})
