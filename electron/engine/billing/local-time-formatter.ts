/**
 * Fast timestamps for millions of rows. The zone's offset is looked up once per 15 minutes (all offsets and
 * transitions fall on quarter hours) and the "YYYY-MM-DDTHH:MM:" prefix once per minute; the rest is arithmetic.
 */
import { offsetAt } from '../time/zoned'

const QUARTER = 15 * 60_000

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0')
}

function minuteCache(): (ms: number) => string {
  let minute = NaN
  let prefix = ''
  return (ms) => {
    const m = Math.floor(ms / 60_000)
    if (m !== minute) {
      minute = m
      prefix = new Date(m * 60_000).toISOString().slice(0, 17)
    }
    const rest = ms - m * 60_000
    return `${prefix}${pad(Math.floor(rest / 1000), 2)}.${pad(rest % 1000, 3)}`
  }
}

/** ISO 8601 in UTC, e.g. 2026-11-24T14:03:07.123Z */
export function utcTimestampFormatter(): (ms: number) => string {
  const base = minuteCache()
  return (ms) => `${base(ms)}Z`
}

/** ISO 8601 with the zone's offset, e.g. 2026-11-24T15:03:07.123+01:00 */
export function localTimestampFormatter(tz: string): (ms: number) => string {
  const base = minuteCache()
  let bucket = NaN
  let offset = 0
  let suffix = ''
  return (ms) => {
    const b = Math.floor(ms / QUARTER)
    if (b !== bucket) {
      bucket = b
      offset = offsetAt(b * QUARTER, tz)
      const abs = Math.abs(offset) / 60_000
      suffix = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`
    }
    return `${base(ms + offset)}${suffix}`
  }
}

/** ISO 8601 to the second with the zone's offset, e.g. 2026-11-01T00:00:00+01:00 (for period bounds). */
export function isoSeconds(ms: number, tz: string): string {
  const s = localTimestampFormatter(tz)(ms)
  return `${s.slice(0, 19)}${s.slice(23)}`
}

/**
 * Micros ≥ 0 as a 6-decimal string, equal to formatMoney(m, 6) but without its checks: for millions of detail
 * cells. Recent values are cached (prices repeat).
 */
export function fastMoneyFormatter(): (micros: number) => string {
  const cache = new Map<number, string>()
  return (m) => {
    let s = cache.get(m)
    if (s === undefined) {
      if (!Number.isSafeInteger(m) || m < 0) throw new RangeError(`not a non-negative amount of micros: ${m}`)
      const whole = Math.floor(m / 1_000_000)
      s = `${whole}.${pad(m - whole * 1_000_000, 6)}`
      if (cache.size > 4_096) cache.clear()
      cache.set(m, s)
    }
    return s
  }
}

/** Whole milliseconds as seconds with 3 decimals, exactly (no float rounding): 12345 → "12.345". */
export function secondsFromMs(ms: number): string {
  const whole = Math.floor(ms / 1000)
  return `${whole}.${pad(ms - whole * 1000, 3)}`
}
