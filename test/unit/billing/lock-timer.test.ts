/**
 * Invoices lock on time with nobody looking: a fake clock and fake timers drive the engine's lock timer; nothing
 * reads or exports the invoice, yet it locks at the exact end of the grace period, and a grace-days change made
 * before then moves the lock at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openBilling, startLockTimer, type Invoice, type Timers } from '../../../electron/engine/billing'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { localMonthBounds } from '../../../electron/engine/time/zoned'
import { seedAttempts } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'

const DAY = 86_400_000

/** A clock and a timer queue that only move when the test says so. */
function fakeTime(start: number) {
  let now = start
  let seq = 0
  const queue = new Map<number, { at: number; fn: () => void }>()
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = ++seq
      queue.set(id, { at: now + Math.max(0, ms), fn })
      return id
    },
    clearTimeout: (h) => void queue.delete(h as number),
  }
  const advanceTo = (target: number): void => {
    for (let i = 0; i < 10_000; i++) {
      const next = [...queue.entries()].sort((a, b) => a[1].at - b[1].at)[0]
      if (!next || next[1].at > target) break
      queue.delete(next[0])
      now = next[1].at
      next[1].fn()
    }
    now = target
  }
  return { now: () => now, timers, advanceTo, pending: () => queue.size }
}

let db: Database
let ledger: ReturnType<typeof openSqliteLedger>
beforeEach(() => {
  db = openDatabase(':memory:')
  ledger = openSqliteLedger(db)
})
afterEach(() => db.close())

describe('invoice lock timer', () => {
  it('locks at the end of the grace period with nobody looking; a grace change moves it at once', () => {
    const t = tenantFixture('t_berlin', { timezone: 'Europe/Berlin' })
    const [, novEnd] = localMonthBounds('2026-11', t.timezone)
    seedAttempts(db, [{ id: 'a1', tenantId: t.id, type: 'image', endedAt: novEnd - 20 * DAY, price: 1_500 }])
    const time = fakeTime(novEnd - 10 * DAY)
    let grace = 3
    const billing = openBilling(db, ledger, { now: time.now, graceDays: () => grace })
    const locked: Invoice[] = []
    const timer = startLockTimer({
      billing,
      tenants: () => [t],
      now: time.now,
      timers: time.timers,
      onLocked: (list) => locked.push(...list),
    })
    time.advanceTo(novEnd + 3 * DAY - 1)
    expect(billing.stored(t.id, '2026-11')).toBeUndefined()
    // The operator lengthens the grace period before it ends: the timer follows at once.
    grace = 5
    timer.reschedule()
    time.advanceTo(novEnd + 3 * DAY + 1)
    expect(billing.stored(t.id, '2026-11')).toBeUndefined()
    time.advanceTo(novEnd + 5 * DAY - 1)
    expect(billing.stored(t.id, '2026-11')).toBeUndefined()
    time.advanceTo(novEnd + 5 * DAY)
    const inv = billing.stored(t.id, '2026-11')!
    expect(inv).toMatchObject({ status: 'locked', lockedAt: novEnd + 5 * DAY, totalMicros: 1_500 })
    expect(inv.number).toMatch(/^CD-2026-\d{6}$/)
    expect(locked.map((i) => i.month)).toEqual(['2026-11'])
    // Late usage recorded after the lock goes to December, however late someone looks.
    seedAttempts(db, [
      {
        id: 'a2',
        tenantId: t.id,
        type: 'image',
        endedAt: novEnd - DAY,
        settledAt: time.now() + 1,
        price: 700,
      },
    ])
    time.advanceTo(novEnd + 40 * DAY)
    expect(billing.invoice(t, '2026-11').totalMicros).toBe(1_500)
    expect(billing.invoice(t, '2026-12').lines.map((l) => l.kind)).toEqual(['late_usage'])
    timer.stop()
    expect(time.pending()).toBe(0)
  })

  it('locks at start what became due while the app was closed', () => {
    const t = tenantFixture('t_utc')
    const [, octEnd] = localMonthBounds('2026-10', 'UTC')
    seedAttempts(db, [{ id: 'b1', tenantId: t.id, type: 'image', endedAt: octEnd - DAY, price: 900 }])
    const time = fakeTime(octEnd + 30 * DAY)
    const billing = openBilling(db, ledger, { now: time.now, graceDays: 3 })
    const timer = startLockTimer({ billing, tenants: () => [t], now: time.now, timers: time.timers })
    expect(billing.stored(t.id, '2026-10')).toBeUndefined()
    time.advanceTo(time.now())
    expect(billing.stored(t.id, '2026-10')?.lockedAt).toBe(octEnd + 30 * DAY)
    timer.stop()
  })
})
