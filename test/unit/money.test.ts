import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { allocateByWeights, applyBasisPoints, formatMoney, parseMoney } from '@shared/money'

describe('money', () => {
  it('parses decimal strings into integer micros', () => {
    expect(parseMoney('0.003')).toBe(3_000)
    expect(parseMoney('12')).toBe(12_000_000)
    expect(parseMoney('-1.5')).toBe(-1_500_000)
    expect(() => parseMoney('0.0000001')).toThrow(/at most 6 decimals/)
    expect(() => parseMoney('1e3')).toThrow()
    expect(() => parseMoney('')).toThrow()
  })

  it('formats with rounding and round-trips', () => {
    expect(formatMoney(3_000)).toBe('0.003000')
    expect(formatMoney(1_234_567, 2)).toBe('1.23')
    expect(formatMoney(1_235_000, 2)).toBe('1.24')
    expect(formatMoney(-5_000, 2)).toBe('-0.01')
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (m) => parseMoney(formatMoney(m)) === m))
  })

  it('applies markups in basis points exactly', () => {
    expect(applyBasisPoints(3_000, 12_500)).toBe(3_750)
    expect(applyBasisPoints(1, 15_000)).toBe(2)
  })

  it('allocates shares that always add up to the total', () => {
    expect(allocateByWeights(100, [1, 1, 1])).toEqual([34, 33, 33])
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 50 }),
        (total, weights) => {
          const shares = allocateByWeights(total, weights)
          const sumW = weights.reduce((a, b) => a + b, 0)
          const sum = shares.reduce((a, b) => a + b, 0)
          return sumW === 0 ? sum === 0 : sum === total && shares.every((s) => s >= 0)
        },
      ),
    )
  })
})
