/** getbalance replies are decimal strings ("12.345"); convert exactly to micros, truncating past 6 decimals. */
import { ProviderError } from './types'

export function parseDecimalBalance(text: string): number {
  const m = /^\s*(-)?(\d{1,15})(?:\.(\d+))?\s*$/.exec(text)
  if (!m) throw new ProviderError('BAD_REPLY', 'retry', 'The upstream’s balance was not a number.')
  const micros = Number(m[2]) * 1_000_000 + Number((m[3] ?? '').slice(0, 6).padEnd(6, '0'))
  return m[1] ? -micros : micros
}
