import { describe, expect, it } from 'vitest'
import { parseMoneyInput, parseWholeNumber } from '@shared/typed-numbers'

describe('typed numbers', () => {
  it('reads whole numbers within their range and nothing else', () => {
    expect(parseWholeNumber(' 42 ')).toBe(42)
    expect(parseWholeNumber('0')).toBe(0)
    expect(parseWholeNumber('0', 1)).toBeNull()
    expect(parseWholeNumber('65535', 0, 65_535)).toBe(65_535)
    expect(parseWholeNumber('65536', 0, 65_535)).toBeNull()
    for (const bad of ['', ' ', '-1', '1.5', '1e3', '1 000', '1,000', '12a', '1234567890123456'])
      expect(parseWholeNumber(bad), bad).toBeNull()
  })

  it('reads amounts as micros; negative only when allowed', () => {
    expect(parseMoneyInput('0.002')).toBe(2_000)
    expect(parseMoneyInput(' 25 ')).toBe(25_000_000)
    expect(parseMoneyInput('0')).toBe(0)
    expect(parseMoneyInput('-1')).toBeNull()
    expect(parseMoneyInput('-1.5', true)).toBe(-1_500_000)
    for (const bad of ['', 'abc', '0.0000001', '1,5', '1e3']) expect(parseMoneyInput(bad), bad).toBeNull()
  })
})
