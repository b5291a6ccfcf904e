/**
 * Waits and retry times as people read them: "in 35 s", "in 4 min 10 s", "in 9 h 51 min, at 00:00 New York time".
 * Used by the engine's refusal messages and the console alike. Pure Intl, no platform code.
 */
import { wallTimeIn, zoneClockName } from './time-zones'

/** "35 s", "4 min 10 s", "9 h 51 min" (up to 47 h), "3 d 4 h" (whole units, never "0 h"). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) {
    const m = Math.floor(s / 60)
    const rest = s % 60
    return rest ? `${m} min ${rest} s` : `${m} min`
  }
  const totalMin = Math.floor(s / 60)
  if (totalMin < 48 * 60) {
    const h = Math.floor(totalMin / 60)
    const m = totalMin % 60
    return m ? `${h} h ${m} min` : `${h} h`
  }
  const totalH = Math.floor(totalMin / 60)
  const d = Math.floor(totalH / 24)
  const h = totalH % 24
  return h ? `${d} d ${h} h` : `${d} d`
}

/** "1 Dec" in the zone. */
function dayIn(zone: string, at: number): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short' }).format(
      new Date(at),
    )
  } catch {
    return ''
  }
}

/**
 * When a refused request may be sent again. Waits under a minute are just "in 12 s"; longer ones name the clock time
 * in `zone` (the tenant's), with the date when it is a day or more away: "in 9 h 51 min, at 00:00 New York time".
 */
export function formatRetry(retryAfterMs: number, now: number, zone?: string): string {
  if (retryAfterMs <= 0) return 'now'
  const wait = `in ${formatDuration(retryAfterMs)}`
  if (!zone || retryAfterMs < 60_000) return wait
  // Round the clock time up to the minute so it is never earlier than the real moment.
  const at = Math.ceil((now + retryAfterMs) / 60_000) * 60_000
  const clock = wallTimeIn(zone, at)
  if (!clock) return wait
  const date = retryAfterMs >= 24 * 3_600_000 ? ` on ${dayIn(zone, at)}` : ''
  return `${wait}, at ${clock}${date} ${zoneClockName(zone, at)}`
}
