/** The month's invoice list: per-solve or thread-second plan costs with margins, and sent/paid marks on locked ones. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createInvoiceMarks, listInvoices, openBilling } from '../../../electron/engine/billing'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { DEFAULT_SETTINGS } from '../../../electron/engine/settings/settings-store'
import { localMonthBounds } from '../../../electron/engine/time/zoned'
import { seedAttempts } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'

let db: Database
let ledger: ReturnType<typeof openSqliteLedger>
beforeEach(() => {
  db = openDatabase(':memory:')
  ledger = openSqliteLedger(db)
})
afterEach(() => db.close())

describe('invoice list', () => {
  it('shows each tenant’s cost and margin, per solve or as its thread-second share of the plan', () => {
    const [start, end] = localMonthBounds('2026-11', 'UTC')
    let now = start + 10 * 86_400_000
    const billing = openBilling(db, ledger, { now: () => now })
    const marks = createInvoiceMarks(db, () => now)
    const a = tenantFixture('t_a')
    const b = tenantFixture('t_b')
    seedAttempts(db, [
      {
        id: 'a1',
        taskId: '901',
        tenantId: 't_a',
        type: 'image',
        endedAt: start + 1_000,
        threadMs: 30_000,
        cost: 1_000,
        price: 4_000,
      },
      {
        id: 'b1',
        taskId: '902',
        tenantId: 't_b',
        type: 'image',
        endedAt: start + 2_000,
        threadMs: 10_000,
        cost: 1_000,
        price: 1_000,
      },
    ])
    const list = (settings = DEFAULT_SETTINGS) =>
      listInvoices({
        billing,
        ledger,
        marks,
        tenants: [a, b],
        settings,
        planAccount: 'sandbox:acct',
        month: '2026-11',
        now,
      })
    const perSolve = list()
    expect(perSolve.allocation).toBe('per_solve')
    expect(perSolve.rows.map((r) => [r.tenantId, r.status, r.costMicros, r.marginMicros])).toEqual([
      ['t_a', 'draft', 1_000, 3_000],
      ['t_b', 'draft', 1_000, 0],
    ])
    const plan = list({
      ...DEFAULT_SETTINGS,
      costPlan: { mode: 'thread_seconds', planPriceMicros: 8_000, planThreads: 5 },
    })
    expect(plan.allocation).toBe('thread_seconds')
    // 30 s and 10 s of thread time share the 8.00 plan 3:1.
    expect(plan.rows.map((r) => [r.tenantId, r.costMicros, r.marginMicros])).toEqual([
      ['t_a', 6_000, -2_000],
      ['t_b', 2_000, -1_000],
    ])
    // Marks only on a locked invoice.
    expect(() => marks.mark(billing, 't_a', '2026-11', { sent: true })).toThrow(/locked/)
    now = end + 4 * 86_400_000
    billing.lockDue([a, b])
    const sent = marks.mark(billing, 't_a', '2026-11', { sent: true })
    expect(sent).toEqual({ sentAt: now, paidAt: null })
    now += 1_000
    expect(marks.mark(billing, 't_a', '2026-11', { paid: true })).toEqual({
      sentAt: sent.sentAt,
      paidAt: now,
    })
    const row = list().rows.find((r) => r.tenantId === 't_a')!
    expect(row).toMatchObject({ status: 'locked', sentAt: sent.sentAt, paidAt: now })
    expect(row.number).toMatch(/^CD-2026-/)
  })
})
