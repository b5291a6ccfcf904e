/** What each limit means in practice, in the words the form shows under the field. */
import { formatDuration } from '@shared/human-time'
import { parseLimit } from '../tenant-draft'

const n = (v: number) => v.toLocaleString('en-US')

export function rpmHint(text: string): string {
  const v = parseLimit(text)
  if (v === null)
    return 'Empty: no limit. A limit of N per minute allows at most N requests in any 60 seconds.'
  const spacing = formatDuration(Math.ceil(60_000 / v))
  return `${n(v)} per minute: at most ${n(v)} in any 60 seconds (one every ${spacing} when sent steadily); more are refused with ERROR_NO_SLOT_AVAILABLE and a retry time.`
}

export function dailyHint(text: string, zone: string): string {
  const v = parseLimit(text)
  if (v === null) return 'Empty: no limit. Counted per day in the tenant’s time zone.'
  return `At most ${n(v)} solves per day, counted from 00:00 ${zone} time; failed solves do not count. Beyond it, requests get ERROR_ZERO_BALANCE until midnight.`
}

export function concurrentHint(text: string): string {
  const v = parseLimit(text)
  if (v === null) return 'Empty: no limit on solves running at the same time.'
  return `At most ${n(v)} ${v === 1 ? 'solve' : 'solves'} running at once; one more is refused with ERROR_NO_SLOT_AVAILABLE until one finishes.`
}

export function budgetHint(formatted: string | null): string {
  if (formatted === null) return 'Empty: no budget. The month follows the tenant’s time zone.'
  return `Solves stop when the month’s billed amount would pass ${formatted}; it renews on the 1st at 00:00 in the tenant’s time zone.`
}
