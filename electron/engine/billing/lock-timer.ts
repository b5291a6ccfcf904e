/**
 * Locks invoices on time, in the running engine (Electron and headless alike): it wakes when the next tenant's
 * month-plus-grace ends (and at least hourly, so changed settings and new tenants are seen), and locks every
 * invoice that is due. So the cut-off for late usage never depends on when someone opens the Billing screen.
 * Clock and timers are injectable for tests.
 */
import type { Tenant } from '@shared/tenant'
import { localMonthBounds, localMonthOf } from '../time/zoned'
import type { Invoice, InvoiceBuilder } from './invoice-builder'
import { previousMonth } from './invoice-helpers'

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface LockTimer {
  /** Locks what is due now and schedules the next wake-up. Returns the invoices it locked. */
  runNow(): Invoice[]
  /** Recomputes the next wake-up (after a settings change). */
  reschedule(): void
  stop(): void
}

const HOUR = 3_600_000

export function startLockTimer(deps: {
  billing: InvoiceBuilder
  tenants: () => Tenant[]
  now: () => number
  onLocked?: (invoices: Invoice[]) => void
  onError?: (err: Error) => void
  timers?: Timers
  maxWaitMs?: number
}): LockTimer {
  const timers: Timers = deps.timers ?? {
    setTimeout: (fn, ms) => {
      const h = setTimeout(fn, ms)
      h.unref?.()
      return h
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  }
  const maxWait = deps.maxWaitMs ?? HOUR
  let handle: unknown
  let stopped = false

  /** The next instant after `now` at which some tenant's month (this one or the last) passes its grace period. */
  const nextDue = (now: number): number => {
    const grace = deps.billing.graceDays * 86_400_000
    let next = now + maxWait
    for (const t of deps.tenants()) {
      const month = localMonthOf(now, t.timezone)
      const last = previousMonth(month)
      for (const m of [previousMonth(last), last, month]) {
        const due = localMonthBounds(m, t.timezone)[1] + grace
        if (due > now && due < next) next = due
      }
    }
    return next
  }

  const schedule = (): void => {
    if (stopped) return
    if (handle !== undefined) timers.clearTimeout(handle)
    const now = deps.now()
    handle = timers.setTimeout(run, Math.max(0, nextDue(now) - now))
  }

  function run(): Invoice[] {
    handle = undefined
    let locked: Invoice[] = []
    try {
      locked = deps.billing.lockDue(deps.tenants())
      if (locked.length > 0) deps.onLocked?.(locked)
    } catch (err) {
      deps.onError?.(err as Error)
    }
    schedule()
    return locked
  }

  // First pass soon after start: whatever became due while the app was closed locks now.
  handle = timers.setTimeout(run, 0)
  return {
    runNow: run,
    reschedule: schedule,
    stop() {
      stopped = true
      if (handle !== undefined) timers.clearTimeout(handle)
      handle = undefined
    },
  }
}
