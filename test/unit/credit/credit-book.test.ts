/** The credit book's rules: idempotent references, append-only rows, prepaid periods, and what getbalance answers. */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Settings } from '@shared/settings'
import { createAdmissionController, ledgerUsageLoader } from '../../../electron/engine/admission'
import { connectCredit, openCreditBook, tenantBalanceFor } from '../../../electron/engine/credit'
import { openAuditLog } from '../../../electron/engine/audit/audit-log'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { DEFAULT_SETTINGS } from '../../../electron/engine/settings/settings-store'
import { seedAttempts } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'

const prepaid = (id: string) =>
  tenantFixture(id, {
    billing: {
      mode: 'prepaid',
      buyer: { legalName: '', address: '', taxId: '', email: '' },
      taxRateBps: 0,
      reverseCharge: false,
      lowCreditMicros: 0,
    },
  })

function setup() {
  const db = openDatabase(':memory:')
  const ledger = openSqliteLedger(db)
  const audit = openAuditLog(db)
  let now = 1_000
  const book = openCreditBook(db, { ledger, now: () => now, audit })
  return { db, ledger, audit, book, tick: (ms: number) => (now += ms), at: () => now }
}

describe('credit book', () => {
  it('a reference counts once; another amount under it is refused; rows never change', () => {
    const { db, book, audit } = setup()
    const r1 = book.record({
      tenantId: 't',
      kind: 'top_up',
      amountMicros: 5_000_000,
      reference: 'pay-1',
      actor: 'op',
    })
    const r2 = book.record({
      tenantId: 't',
      kind: 'top_up',
      amountMicros: 5_000_000,
      reference: 'pay-1',
      actor: 'op',
    })
    expect(r1.duplicate).toBe(false)
    expect(r2).toEqual({ entry: r1.entry, duplicate: true })
    expect(() =>
      book.record({
        tenantId: 't',
        kind: 'top_up',
        amountMicros: 6_000_000,
        reference: 'pay-1',
        actor: 'op',
      }),
    ).toThrow(/already used/)
    expect(book.balance('t').boughtMicros).toBe(5_000_000)
    expect(audit.list().filter((e) => e.action === 'credit.top_up')).toHaveLength(1)
    expect(() => db.exec('UPDATE credit_entries SET amount_micros = 1')).toThrow(/never change/)
    expect(() => db.exec('DELETE FROM credit_entries')).toThrow(/never change/)
  })

  it('validates amounts and references, and refuses a refund beyond the credit available', () => {
    const { book } = setup()
    const bad = (input: Partial<Parameters<typeof book.record>[0]>) => () =>
      book.record({ tenantId: 't', kind: 'top_up', amountMicros: 1, reference: 'r', actor: 'op', ...input })
    expect(bad({ amountMicros: 0 })).toThrow(/non-zero/)
    expect(bad({ amountMicros: 1.5 })).toThrow(/whole/)
    expect(bad({ amountMicros: -1 })).toThrow(/positive/)
    expect(bad({ reference: '' })).toThrow(/reference/)
    expect(bad({ reference: 'a\nb' })).toThrow(/reference/)
    book.record({ tenantId: 't', kind: 'top_up', amountMicros: 1_000, reference: 'p', actor: 'op' })
    expect(bad({ kind: 'refund', amountMicros: 1_001, reference: 'x' })).toThrow(/below zero/)
    expect(bad({ kind: 'adjustment', amountMicros: -1_001, reference: 'y' })).toThrow(/below zero/)
    book.record({ tenantId: 't', kind: 'refund', amountMicros: 400, reference: 'rf', actor: 'op' })
    book.record({ tenantId: 't', kind: 'adjustment', amountMicros: -100, reference: 'adj', actor: 'op' })
    expect(book.balance('t')).toMatchObject({ boughtMicros: 500, leftMicros: 500, availableMicros: 500 })
    expect(book.entries('t').map((e) => e.amountMicros)).toEqual([-100, -400, 1_000])
  })

  it('only solves admitted while prepaid use the credit', () => {
    const { db, ledger, book, tick } = setup()
    const t = prepaid('t_m')
    book.record({ tenantId: t.id, kind: 'top_up', amountMicros: 10_000, reference: 'p', actor: 'op' })
    // Before the prepaid period: postpaid usage, not drawn from the credit.
    seedAttempts(db, [{ id: 'a1', tenantId: t.id, type: 'image', endedAt: 1_500, threadMs: 100, price: 700 }])
    tick(1_000)
    book.syncMode(t, 2_000)
    seedAttempts(db, [{ id: 'a2', tenantId: t.id, type: 'image', endedAt: 2_500, threadMs: 100, price: 300 }])
    book.syncMode({ ...t, billing: { ...t.billing!, mode: 'postpaid' } }, 3_000)
    seedAttempts(db, [{ id: 'a3', tenantId: t.id, type: 'image', endedAt: 3_500, threadMs: 100, price: 900 }])
    const fresh = openCreditBook(db, { ledger }).balance(t.id)
    expect(fresh).toMatchObject({ prepaid: false, boughtMicros: 10_000, usedMicros: 300, leftMicros: 9_700 })
    expect(book.prepaidAt(t.id, 2_400)).toBe(true)
    expect(book.prepaidAt(t.id, 3_400)).toBe(false)
    expect(openCreditBook(db, { ledger }).usedBetween(t.id, 2_000, 2_600)).toBe(300)
    expect(openCreditBook(db, { ledger }).leftAt(t.id, 1_999)).toBe(10_000)
  })

  it('prepaid periods never overlap, clash or change once ended, and prepaidAt answers from memory what they say, for any switches (the clock may go back)', () => {
    const postpaid = (t: ReturnType<typeof prepaid>) => ({
      ...t,
      billing: { ...t.billing!, mode: 'postpaid' as const },
    })
    fc.assert(
      fc.property(
        fc.array(fc.record({ prepaid: fc.boolean(), at: fc.integer({ min: 0, max: 100 }) }), {
          maxLength: 12,
        }),
        fc.array(fc.integer({ min: -5, max: 110 }), { minLength: 1, maxLength: 20 }),
        (switches, asks) => {
          const { db, ledger, book } = setup()
          const t = prepaid('t_p')
          const stored = db.prepare(
            'SELECT 1 FROM credit_periods WHERE tenant_id = ? AND started_at <= ? AND (ended_at IS NULL OR ended_at > ?)',
          )
          const check = (b: typeof book) => {
            for (const at of asks) expect(b.prepaidAt(t.id, at)).toBe(stored.get(t.id, at, at) !== undefined)
          }
          const periods = db.prepare(
            'SELECT started_at AS s, ended_at AS e FROM credit_periods WHERE tenant_id = ?',
          )
          for (const sw of switches) {
            const before = periods.all(t.id) as Array<{ s: number; e: number | null }>
            book.syncMode(sw.prepaid ? t : postpaid(t), sw.at) // never throws
            expect(book.balance(t.id).prepaid).toBe(sw.prepaid)
            const all = periods.all(t.id) as Array<{ s: number; e: number | null }>
            // History stays: a period that ended (and lasted) never changes, whatever the clock did.
            for (const p of before.filter((p) => p.e !== null && p.e > p.s)) expect(all).toContainEqual(p)
            expect(all.filter((p) => p.e === null).length).toBe(sw.prepaid ? 1 : 0)
            for (const p of all)
              for (const q of all)
                if (p !== q) expect(p.s >= (q.e ?? Infinity) || q.s >= (p.e ?? Infinity)).toBe(true) // disjoint
            check(book)
          }
          check(openCreditBook(db, { ledger })) // loaded from the stored periods
        },
      ),
    )
  })

  it("a prepaid tenant's credit used is summed at start, not on its first solve (a postpaid one's not at all)", () => {
    const { db, ledger, book: before } = setup()
    const t = prepaid('t_w')
    const other = tenantFixture('t_post')
    before.syncMode(t, 1_000) // prepaid since 1 s, in an earlier run
    let sums = 0
    const counting = {
      solvedPriceCreatedIn: (...a: Parameters<typeof ledger.solvedPriceCreatedIn>) => {
        sums++
        return ledger.solvedPriceCreatedIn(...a)
      },
    }
    const book = openCreditBook(db, { ledger: counting, now: () => 5_000 })
    connectCredit({
      credit: book,
      tenants: { list: () => [t, other], get: () => undefined, onChange: () => () => undefined },
      alerts: { evaluateCredit: () => undefined } as never,
      now: () => 5_000,
    })
    expect(sums).toBe(1)
    expect(book.balance(t.id).prepaid).toBe(true) // what the first solve's admission asks
    expect(sums).toBe(1)
  })

  it('getbalance: prepaid credit, else what is left of the budget, else the operator’s choice — never made up', () => {
    const { db, ledger, book } = setup()
    let settings: Settings = DEFAULT_SETTINGS
    // The budget left is the admission state's month (loaded from the ledger once), as the budget limit sees it.
    const admission = createAdmissionController({ loader: ledgerUsageLoader(ledger) })
    const deps = { credit: book, admission, settings: { get: () => settings } }
    const t = prepaid('t_g')
    book.syncMode(t, 0)
    book.record({ tenantId: t.id, kind: 'top_up', amountMicros: 2_500_000, reference: 'p', actor: 'op' })
    expect(tenantBalanceFor(deps, t)).toBe(2_500_000)
    const budget = tenantFixture('t_b', { limits: { monthlyBudgetMicros: 7_000_000 } })
    const now = Date.parse('2026-11-15T12:00:00Z')
    seedAttempts(db, [
      { id: 'b1', tenantId: 't_b', type: 'turnstile', endedAt: now - 3_600_000, price: 1_500_000 },
      { id: 'b0', tenantId: 't_b', type: 'turnstile', endedAt: Date.parse('2026-10-20T12:00:00Z'), price: 9 },
    ])
    expect(tenantBalanceFor(deps, budget, now)).toBe(5_500_000) // this month's spend only
    const held = admission.reserve({ tenant: budget, captchaType: 'turnstile', estimateMicros: 500_000, now })
    expect(held.ok).toBe(true)
    expect(tenantBalanceFor(deps, budget, now)).toBe(5_000_000) // a solve in flight holds its price
    expect(tenantBalanceFor(deps, tenantFixture('t_b2', { limits: { monthlyBudgetMicros: 1 } }), now)).toBe(1)
    const plain = tenantFixture('t_n')
    expect(tenantBalanceFor(deps, plain)).toBe(0)
    settings = { ...settings, gatewayBalance: { mode: 'amount', amountMicros: 42_000_000 } }
    expect(tenantBalanceFor(deps, plain)).toBe(42_000_000)
  })
})
