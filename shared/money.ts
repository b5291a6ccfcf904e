/**
 * Money is integer micro-units (1 USD = 1,000,000 micros). Never a float.
 * A `Micros` is a plain safe integer so it crosses IPC, JSON and SQLite unchanged.
 */
export type Micros = number

const MICROS_PER_UNIT = 1_000_000

export class MoneyError extends Error {
  override name = 'MoneyError'
}

export function assertMicros(value: number, what = 'amount'): Micros {
  if (!Number.isSafeInteger(value))
    throw new MoneyError(`${what} must be a whole number of micro-units, got ${value}`)
  return value
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,6}))?$/

/** Parses a decimal string such as "0.003" or "12" into micros. Rejects more than 6 decimals and floats' noise. */
export function parseMoney(text: string): Micros {
  const trimmed = text.trim()
  const m = DECIMAL.exec(trimmed)
  if (!m) throw new MoneyError(`"${text}" is not an amount (use digits with at most 6 decimals, e.g. 0.003)`)
  const whole = Number(m[2])
  const frac = Number((m[3] ?? '').padEnd(6, '0'))
  const value = whole * MICROS_PER_UNIT + frac
  if (!Number.isSafeInteger(value)) throw new MoneyError(`"${text}" is too large`)
  return m[1] ? -value : value
}

/** Formats micros as a decimal string with `decimals` places (default 6), rounding half away from zero. */
export function formatMoney(micros: Micros, decimals = 6): string {
  assertMicros(micros)
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 6)
    throw new MoneyError('decimals must be 0..6')
  const negative = micros < 0
  let abs = Math.abs(micros)
  const step = 10 ** (6 - decimals)
  abs = Math.floor((abs + Math.floor(step / 2)) / step) * step
  const whole = Math.floor(abs / MICROS_PER_UNIT)
  const frac = String(abs % MICROS_PER_UNIT)
    .padStart(6, '0')
    .slice(0, decimals)
  const body = decimals > 0 ? `${whole}.${frac}` : String(whole)
  return negative && abs !== 0 ? `-${body}` : body
}

/**
 * Applies a ratio given in basis points (1/100 of a percent), rounding half up. 10_000 bps = ×1.
 * Used for markups: price = cost × (10_000 + markupBps) / 10_000.
 */
export function applyBasisPoints(amount: Micros, bps: number): Micros {
  assertMicros(amount)
  if (!Number.isSafeInteger(bps)) throw new MoneyError('basis points must be a whole number')
  const product = BigInt(amount) * BigInt(bps)
  const q = product / 10_000n
  const r = product % 10_000n
  const rounded = r * 2n >= 10_000n ? q + 1n : r * 2n <= -10_000n ? q - 1n : q
  return assertMicros(Number(rounded))
}

/**
 * Splits `total` among weights so the shares add up exactly to `total` (largest-remainder method).
 * Ties in remainder go to the larger weight, then to the earlier index: a stated, deterministic rule.
 */
export function allocateByWeights(total: Micros, weights: readonly number[]): Micros[] {
  assertMicros(total, 'total')
  if (weights.length === 0) return []
  for (const w of weights)
    if (!Number.isSafeInteger(w) || w < 0) throw new MoneyError('weights must be non-negative integers')
  const sumW = weights.reduce((a, b) => a + b, 0)
  if (sumW === 0) return weights.map(() => 0)
  const T = BigInt(total)
  const S = BigInt(sumW)
  const shares = weights.map((w) => (T * BigInt(w)) / S)
  const remainders = weights.map((w, i) => ({ i, w, r: (T * BigInt(w)) % S }))
  let left = T - shares.reduce((a, b) => a + b, 0n)
  remainders.sort((a, b) => (a.r === b.r ? (a.w === b.w ? a.i - b.i : b.w - a.w) : a.r > b.r ? -1 : 1))
  for (const { i } of remainders) {
    if (left <= 0n) break
    shares[i] = (shares[i] ?? 0n) + 1n
    left -= 1n
  }
  return shares.map((s) => Number(s))
}
