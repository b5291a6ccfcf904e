/**
 * Reconciliation over random ledgers, with solves recorded late, invoices looked at (and so locked) at random
 * times, and monthly minimums: every invoice's lines sum to its total; the detail file sums to the summary; the
 * all-tenants summary sums the tenants; and every solved row is billed exactly once across all months.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CAPTCHA_TYPES } from '@shared/captcha'
import { parseMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import {
  exportAllTenantsSummary,
  exportInvoice,
  openBilling,
  parseCsv,
} from '../../../electron/engine/billing'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { seedAttempts, type SeedRow } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'

const DAY = 86_400_000
const START = Date.parse('2026-10-20T00:00:00Z')
const END = Date.parse('2027-01-10T00:00:00Z')
const FINAL = Date.parse('2027-03-10T00:00:00Z')
const MONTHS = ['2026-10', '2026-11', '2026-12', '2027-01', '2027-02']
const MONTH_ENDS = ['2026-11-01', '2026-12-01', '2027-01-01'].map((d) => Date.parse(`${d}T00:00:00Z`))

const row = fc.record({
  t: fc.constantFrom('t_a', 't_b', 't_c'),
  type: fc.constantFrom(...CAPTCHA_TYPES),
  // Anywhere, or within a few days of a month's end (where late usage and zone differences happen).
  at: fc.oneof(
    fc.integer({ min: START, max: END }),
    fc
      .tuple(fc.constantFrom(...MONTH_ENDS), fc.integer({ min: -3 * DAY, max: DAY }))
      .map(([end, d]) => end + d),
  ),
  // Mostly recorded at once; sometimes days later (crash recovery, slow settle): late usage.
  delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 * DAY })),
  solved: fc.boolean(),
  price: fc.integer({ min: 0, max: 20_000 }),
  cost: fc.integer({ min: 0, max: 20_000 }),
  threadMs: fc.integer({ min: 0, max: 300_000 }),
})
const look = fc.record({
  at: fc.integer({ min: START, max: FINAL }),
  t: fc.constantFrom('t_a', 't_b', 't_c'),
  month: fc.constantFrom(...MONTHS),
  lockDue: fc.boolean(),
})

describe('reconciliation (fast-check)', () => {
  it('random ledgers reconcile and bill every solve exactly once', async () => {
    // Many small exports: on tmpfs when there is one (fsync is then free), else the usual temp folder.
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'reconcile-'))
    let run = 0
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(row, { minLength: 20, maxLength: 150, size: 'max' }),
          fc.array(look, { maxLength: 15 }),
          fc.integer({ min: 0, max: 200_000 }),
          fc.integer({ min: 0, max: 5 }),
          fc.boolean(),
          async (rows, randomLooks, minimum, graceDays, dailyTimer) => {
            run++
            const tenants: Tenant[] = [
              tenantFixture('t_a', { timezone: 'Europe/Berlin' }),
              tenantFixture('t_b', { timezone: 'America/New_York', name: '=HYPERLINK("x")' }),
              tenantFixture('t_c', {
                timezone: 'Asia/Kolkata',
                pricePlan: { kind: 'markup', markupBps: 0, monthlyMinimumMicros: minimum },
              }),
            ]
            const byId = new Map(tenants.map((t) => [t.id, t]))
            const db = openDatabase(':memory:')
            const ledger = openSqliteLedger(db)
            let now = START
            const billing = openBilling(db, ledger, { now: () => now, graceDays })
            const pending: SeedRow[] = rows
              .map((r, i) => ({
                id: `r${i}`,
                tenantId: r.t,
                type: r.type,
                endedAt: r.at,
                settledAt: r.at + r.delay,
                status: r.solved ? ('solved' as const) : ('failed' as const),
                price: r.price,
                cost: r.cost,
                threadMs: r.threadMs,
              }))
              .sort((a, b) => a.settledAt - b.settledAt)
            // The ledger records each row at its settle time; invoices are looked at (and locked) in between.
            const recordUpTo = (t: number): void => {
              const due = pending.filter((p) => p.settledAt! <= t)
              pending.splice(0, due.length)
              seedAttempts(db, due)
            }
            // Invoices are looked at (and so locked) at random moments, and/or by a daily lockDue timer.
            const looks = [...randomLooks]
            if (dailyTimer)
              for (let at = START; at <= FINAL; at += DAY)
                looks.push({ at, t: 't_a', month: '2026-10', lockDue: true })
            for (const l of looks.sort((a, b) => a.at - b.at)) {
              now = l.at
              recordUpTo(now)
              if (l.lockDue) billing.lockDue(tenants)
              else {
                try {
                  billing.invoice(byId.get(l.t)!, l.month)
                } catch (err) {
                  expect(String(err)).toMatch(/not started/)
                }
              }
            }
            now = FINAL
            recordUpTo(FINAL)
            billing.lockDue(tenants)

            const billed = new Map<string, number>()
            for (const month of MONTHS) {
              const out = join(dir, `${run}-${month}`)
              let sumTotals = 0
              for (const t of tenants) {
                const files = await exportInvoice(billing, t, month, out)
                const inv = files.invoice
                expect(inv.status).toBe('locked')
                // Lines sum to the total; each line is quantity × unit price.
                expect(inv.lines.reduce((s, l) => s + l.amountMicros, 0)).toBe(inv.totalMicros)
                for (const l of inv.lines) expect(l.quantity * l.unitPriceMicros).toBe(l.amountMicros)
                expect(inv.totalMicros).toBe(
                  Math.max(inv.subtotalMicros, t.pricePlan.monthlyMinimumMicros ?? 0),
                )
                expect(inv.marginMicros).toBe(inv.totalMicros - inv.costMicros)
                // The detail file sums to the summary's lines, per line kind.
                const detail = parseCsv(readFileSync(files.detail, 'utf8')).slice(1)
                expect(detail.length).toBe(inv.solves)
                for (const kind of ['usage', 'late_usage']) {
                  const d = detail.filter((r) => r[7] === kind)
                  const lines = inv.lines.filter((l) => l.kind === kind)
                  expect(d.reduce((s, r) => s + parseMoney(r[6]!), 0)).toBe(
                    lines.reduce((s, l) => s + l.amountMicros, 0),
                  )
                  expect(d.reduce((s, r) => s + parseMoney(r[5]!), 0)).toBe(
                    lines.reduce((s, l) => s + l.costMicros, 0),
                  )
                }
                const summary = parseCsv(readFileSync(files.summary, 'utf8'))
                expect(parseMoney(summary.at(-1)![16]!)).toBe(inv.totalMicros)
                expect(summary[1]![3]).toBe(t.name)
                for (const r of detail)
                  billed.set(`${t.id}/${r[2]}`, (billed.get(`${t.id}/${r[2]}`) ?? 0) + 1)
                sumTotals += inv.totalMicros
              }
              const all = await exportAllTenantsSummary(billing, tenants, month, out)
              const csv = parseCsv(readFileSync(all.path, 'utf8'))
              const perTenant = csv.slice(1, -1)
              expect(perTenant.map((r) => r[1])).toEqual(tenants.map((t) => t.id))
              expect(perTenant.reduce((s, r) => s + parseMoney(r[8]!), 0)).toBe(sumTotals)
              expect(parseMoney(csv.at(-1)![8]!)).toBe(sumTotals)
              for (const col of [7, 8, 9])
                expect(parseMoney(csv.at(-1)![col]!)).toBe(
                  perTenant.reduce((s, r) => s + parseMoney(r[col]!), 0),
                )
            }
            // Exactly once: every solved row appears in one detail file, nothing else does.
            const solved = rows.flatMap((r, i) => (r.solved ? [`${r.t}/9${String(i).padStart(9, '0')}`] : []))
            expect([...billed.keys()].sort()).toEqual(solved.sort())
            expect([...billed.values()].every((n) => n === 1)).toBe(true)
            db.close()
          },
        ),
        { numRuns: 25 },
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
