import { describe, expect, it } from 'vitest'
import { formatMoneyDisplay } from '@shared/money-display'

describe('formatMoneyDisplay: one money format for people', () => {
  it('totals carry the currency symbol and two decimals, exact from micros (half away from zero)', () => {
    expect(formatMoneyDisplay(1_234_567_891, 'USD', { locale: 'en-US' })).toBe('$1,234.57')
    expect(formatMoneyDisplay(5_000_000, 'EUR', { locale: 'de-DE' })).toBe('5,00\u00a0€')
    expect(formatMoneyDisplay(-5_005, 'USD', { locale: 'en-US' })).toBe('-$0.01')
    // 2^53-1 micros: no float noise
    expect(formatMoneyDisplay(Number.MAX_SAFE_INTEGER, 'USD', { locale: 'en-US' })).toBe('$9,007,199,254.74')
  })
  it('unit prices show two to six decimals, as many as the amount needs', () => {
    expect(formatMoneyDisplay(2_800, 'USD', { style: 'unit', locale: 'en-US' })).toBe('$0.0028')
    expect(formatMoneyDisplay(5_000_000, 'USD', { style: 'unit', locale: 'en-US' })).toBe('$5.00')
    expect(formatMoneyDisplay(4_991, 'USD', { style: 'unit', locale: 'en-US' })).toBe('$0.004991')
  })
  it('an unknown currency code falls back to the code-free number instead of throwing', () => {
    expect(formatMoneyDisplay(4_991, 'XYZ', { style: 'unit', locale: 'en-US' })).toMatch(/0\.004991/)
  })
})
