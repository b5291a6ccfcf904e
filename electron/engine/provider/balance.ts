/**
 * getbalance replies are decimal strings ("12.345", sometimes more than 6 decimals): converted exactly to micros
 * with integer parsing (shared/money's parseMoney), never through float arithmetic. Digits past the sixth decimal
 * are dropped (rounded toward zero).
 */
import { MoneyError, parseMoney, type Micros } from '@shared/money'
import { ProviderError } from './types'

export function parseDecimalBalance(text: string): Micros {
  const m = /^\s*(-?\d{1,15})(?:\.(\d+))?\s*$/.exec(text)
  if (!m) throw new ProviderError('BAD_REPLY', 'retry', 'The upstream’s balance was not a number.')
  const decimals = (m[2] ?? '').slice(0, 6)
  try {
    return parseMoney(decimals ? `${m[1]}.${decimals}` : m[1]!)
  } catch (err) {
    if (err instanceof MoneyError)
      throw new ProviderError('BAD_REPLY', 'retry', 'The upstream’s balance is out of range.')
    throw err
  }
}
