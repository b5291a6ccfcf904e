import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../electron/engine/sandbox/prng'

describe('Sandbox PRNG (mulberry32)', () => {
  it('repeats exactly for a seed and differs between seeds', () => {
    const a = createPrng(42)
    const b = createPrng(42)
    const c = createPrng(43)
    const seqA = Array.from({ length: 20 }, () => a.next())
    const seqB = Array.from({ length: 20 }, () => b.next())
    const seqC = Array.from({ length: 20 }, () => c.next())
    expect(seqA).toEqual(seqB)
    expect(seqA).not.toEqual(seqC)
  })

  it('next() stays in [0, 1) and between() in [min, max) for any seed', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.nat(1e6),
        (seed, min, span) => {
          const p = createPrng(seed)
          for (let i = 0; i < 50; i++) {
            const x = p.next()
            expect(x).toBeGreaterThanOrEqual(0)
            expect(x).toBeLessThan(1)
            const y = p.between(min, min + span)
            expect(y).toBeGreaterThanOrEqual(min)
            expect(y).toBeLessThanOrEqual(min + span)
          }
        },
      ),
    )
  })

  it('chance() never fires at 0, always at 1, and roughly at the rate in between', () => {
    const p = createPrng(7)
    let hits = 0
    for (let i = 0; i < 10_000; i++) {
      expect(p.chance(0)).toBe(false)
      expect(p.chance(1)).toBe(true)
      if (p.chance(0.25)) hits++
    }
    expect(hits).toBeGreaterThan(2_200)
    expect(hits).toBeLessThan(2_800)
  })

  it('token() has the asked length and uses only its alphabet (base64url by default)', () => {
    const p = createPrng(1)
    expect(p.token(500)).toMatch(/^[A-Za-z0-9_-]{500}$/)
    expect(p.token(40, 'ab')).toMatch(/^[ab]{40}$/)
    expect(p.token(0)).toBe('')
  })
})
