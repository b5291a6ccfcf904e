import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { tenantFixture } from '../../support/tenant-fixture'
import type { Tenant } from '@shared/tenant'
import { CAPTCHA_TYPES } from '@shared/captcha'
import { parseMoney } from '@shared/money'
import { createAlertEngine } from '../../../electron/engine/alerts/alert-engine'
import {
  allocateCosts,
  exportAllTenantsSummary,
  exportInvoice,
  neutralise,
  openBilling,
  parseCsv,
  restore,
} from '../../../electron/engine/billing'
import { openDatabase, type Database } from '../../../electron/engine/ledger/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { seedAttempts } from '../../support/ledger-seed'

let dir: string
let db: Database
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'billing-'))
  db = openDatabase(join(dir, 'engine.db'))
  openSqliteLedger(db)
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

function tenant(id: string, over: Partial<Tenant> = {}): Tenant {
  return tenantFixture(id, {
    ...{ pricePlan: { kind: 'markup', markupBps: 5_000 }, timezone: 'Europe/Berlin' },
    ...over,
  })
}

const NOV_START = Date.parse('2026-10-31T23:00:00Z') // Nov 1, 00:00 in Berlin
const DEC_START = Date.parse('2026-11-30T23:00:00Z')

describe('invoices', () => {
  it('reconcile for random ledgers: lines sum to totals, tenants sum to the all-tenants summary', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            t: fc.constantFrom('t_a', 't_b', 't_c'),
            type: fc.constantFrom(...CAPTCHA_TYPES),
            at: fc.integer({ min: NOV_START - 86_400_000, max: DEC_START + 86_400_000 }),
            solved: fc.boolean(),
            price: fc.integer({ min: 0, max: 10_000 }),
            cost: fc.integer({ min: 0, max: 10_000 }),
          }),
          { maxLength: 200 },
        ),
        fc.integer({ min: 0, max: 50_000 }),
        async (rows, minimum) => {
          db.exec("DELETE FROM schema_versions WHERE component = 'x'")
          const local = openDatabase(':memory:')
          openSqliteLedger(local)
          seedAttempts(
            local,
            rows.map((r, i) => ({
              id: `r${i}`,
              tenantId: r.t,
              type: r.type,
              endedAt: r.at,
              status: r.solved ? 'solved' : 'failed',
              price: r.price,
              cost: r.cost,
            })),
          )
          const billing = openBilling(local, { now: () => DEC_START + 40 * 86_400_000 })
          const tenants = ['t_a', 't_b', 't_c'].map((id) =>
            tenant(id, {
              pricePlan: {
                kind: 'markup',
                markupBps: 0,
                monthlyMinimumMicros: id === 't_c' ? minimum : undefined,
              },
            }),
          )
          let sumTotals = 0
          for (const t of tenants) {
            const inv = billing.invoice(t, '2026-11')
            expect(inv.lines.reduce((s, l) => s + l.amountMicros, 0)).toBe(inv.totalMicros)
            for (const l of inv.lines)
              if (l.kind !== 'minimum') expect(l.quantity * l.unitPriceMicros).toBe(l.amountMicros)
            const expected = rows
              .filter((r) => r.t === t.id && r.solved && r.at >= NOV_START && r.at < DEC_START)
              .reduce((s, r) => s + r.price, 0)
            expect(inv.subtotalMicros).toBe(expected)
            expect(inv.totalMicros).toBe(Math.max(expected, t.pricePlan.monthlyMinimumMicros ?? 0))
            sumTotals += inv.totalMicros
          }
          const out = join(dir, `all-${Math.random()}`)
          const all = await exportAllTenantsSummary(billing, tenants, '2026-11', out)
          const csv = parseCsv(readFileSync(all.path, 'utf8'))
          const last = csv[csv.length - 1]!
          expect(parseMoney(last[8]!)).toBe(sumTotals)
          local.close()
        },
      ),
      { numRuns: 60 },
    )
  })

  it('locks after the grace period; a locked invoice never changes; late usage goes to the next one', async () => {
    let now = DEC_START + 86_400_000 // Dec 2: November is closed, but within the 3-day grace period
    const billing = openBilling(db, { now: () => now, graceDays: 3 })
    const t = tenant('t_a')
    seedAttempts(db, [
      { id: 'a1', tenantId: 't_a', type: 'turnstile', endedAt: NOV_START + 1_000, price: 3_000 },
      { id: 'a2', tenantId: 't_a', type: 'turnstile', endedAt: DEC_START - 1_000, price: 3_000 },
    ])
    const draft = billing.invoice(t, '2026-11')
    expect(draft).toMatchObject({ status: 'draft', number: null, totalMicros: 6_000 })
    now = DEC_START + 4 * 86_400_000
    const locked = billing.invoice(t, '2026-11')
    expect(locked).toMatchObject({ status: 'locked', number: 'CD-2026-000001', totalMicros: 6_000 })
    // A November solve recorded after the lock (late usage).
    seedAttempts(db, [
      {
        id: 'a3',
        tenantId: 't_a',
        type: 'turnstile',
        endedAt: DEC_START - 500,
        settledAt: now + 1_000,
        price: 3_000,
      },
    ])
    now += 2_000
    expect(billing.invoice(t, '2026-11')).toEqual(locked)
    const dec = billing.invoice(t, '2026-12')
    expect(dec.status).toBe('draft')
    expect(dec.lines).toEqual([
      expect.objectContaining({ kind: 'late_usage', fromMonth: '2026-11', quantity: 1, amountMicros: 3_000 }),
    ])
    expect(() => db.prepare("UPDATE invoices SET summary_json = '{}'").run()).toThrow(/never changes/)
    // Re-export of a locked invoice is byte-identical.
    const e1 = await exportInvoice(billing, t, '2026-11', join(dir, 'x1'))
    const e2 = await exportInvoice(billing, t, '2026-11', join(dir, 'x2'))
    expect(readFileSync(e1.detail, 'utf8')).toBe(readFileSync(e2.detail, 'utf8'))
    expect(readFileSync(e1.summary, 'utf8')).toBe(readFileSync(e2.summary, 'utf8'))
    expect(e1.detailRows).toBe(2)
    // Numbers are sequential across tenants.
    expect(billing.invoice(tenant('t_b'), '2026-11').number).toBe('CD-2026-000002')
  })

  it('exports RFC 4180 CSVs that round-trip every field and keep injection payloads inert', async () => {
    const evil = [
      '=HYPERLINK("http://x","click")',
      '+1+2',
      '-2+3',
      '@SUM(A1)',
      '\tTab',
      '\rCR',
      "'quoted",
      'comma, "quote"\nnewline',
      'ünïcødé ☃',
    ]
    const billing = openBilling(db, { now: () => DEC_START + 86_400_000 })
    seedAttempts(db, [{ id: 'b1', tenantId: 't_x', type: 'image', endedAt: NOV_START + 5_000, price: 1_234 }])
    for (const name of evil) {
      const t = tenant('t_x', { name })
      const out = await exportInvoice(billing, t, '2026-11', join(dir, `e${evil.indexOf(name)}`))
      const raw = readFileSync(out.summary, 'utf8')
      expect(raw).toContain('\r\n')
      const rows = parseCsv(raw)
      expect(rows[0]).toContain('tenant_name')
      for (const row of rows.slice(1)) expect(row[3]).toBe(name)
      // In the file itself no cell starts with a formula character.
      for (const row of (await import('papaparse')).default.parse<string[]>(raw).data.slice(1)) {
        if (row.length > 3) expect(row[3]).not.toMatch(/^[=+\-@\t\r]/)
      }
      const detail = parseCsv(readFileSync(out.detail, 'utf8'))
      expect(detail[1]).toEqual([
        '2026-10-31T23:00:05.000Z',
        '2026-11-01T00:00:05.000+01:00',
        '9000000001',
        'image',
        '5.000',
        '0.001000',
        '0.001234',
        'usage',
      ])
    }
    fc.assert(fc.property(fc.string(), (s) => restore(neutralise(s)) === s))
  })
})

describe('cost allocation', () => {
  it('plan-mode shares add up exactly to the plan cost, by thread-seconds or by solves', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ t: fc.constantFrom('a', 'b', 'c', 'd'), ms: fc.integer({ min: 0, max: 100_000 }) }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 1e10 }),
        fc.constantFrom('thread_seconds' as const, 'solves' as const),
        (rows, plan, by) => {
          const local = openDatabase(':memory:')
          openSqliteLedger(local)
          seedAttempts(
            local,
            rows.map((r, i) => ({
              id: `p${i}`,
              tenantId: r.t,
              type: 'image',
              endedAt: NOV_START + i,
              threadMs: r.ms,
            })),
          )
          const shares = allocateCosts(local, 'sandbox:acct', NOV_START, DEC_START, {
            kind: 'plan',
            planCostMicros: plan,
            by,
          })
          local.close()
          return (
            shares.reduce((s, x) => s + x.costMicros, 0) === plan && shares.every((s) => s.costMicros >= 0)
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  it('per-solve mode sums the ledger’s costs', () => {
    seedAttempts(db, [
      { id: 'c1', tenantId: 'a', type: 'image', endedAt: NOV_START + 1, cost: 1_000 },
      { id: 'c2', tenantId: 'a', type: 'image', endedAt: NOV_START + 2, cost: 3_000 },
      { id: 'c3', tenantId: 'b', type: 'image', endedAt: NOV_START + 3, cost: 2_000, status: 'failed' },
    ])
    expect(allocateCosts(db, 'sandbox:acct', NOV_START, DEC_START, { kind: 'per_solve' })).toEqual([
      { tenantId: 'a', solves: 2, threadMs: 10_000, costMicros: 4_000 },
    ])
  })
})

describe('alerts', () => {
  it('each threshold fires once per period and resolves when it no longer holds', () => {
    openBilling(db)
    const alerts = createAlertEngine(db, () => 1_000)
    const events: string[] = []
    alerts.onAlert((e) => events.push(`${e.type}:${e.alert.kind}:${e.alert.threshold}`))
    const t = tenant('t_a', { limits: { solvesPerDay: 100, monthlyBudgetMicros: 1_000_000 } })
    const at = (dayCount: number, spend: number, day = '2026-11-24') =>
      alerts.evaluateTenant({ tenant: t, day, dayCount, month: '2026-11', monthSpendMicros: spend })
    at(79, 0)
    expect(events).toEqual([])
    at(80, 0)
    at(85, 0)
    at(96, 960_000)
    expect(events).toEqual([
      'raised:daily_limit:80',
      'raised:daily_limit:95',
      'raised:monthly_budget:80',
      'raised:monthly_budget:95',
    ])
    at(0, 960_000, '2026-11-25') // a new day ends yesterday's daily alerts; the month's stay
    expect(events.filter((e) => e.startsWith('raised:daily')).length).toBe(2)
    expect(events.filter((e) => e.startsWith('resolved:daily')).length).toBe(2)
    alerts.evaluateBalance('sandbox:abc', 'Platform key', 500_000, 1_000_000)
    alerts.evaluateBalance('sandbox:abc', 'Platform key', 400_000, 1_000_000)
    alerts.evaluateBalance('sandbox:abc', 'Platform key', 5_000_000, 1_000_000)
    expect(events.slice(-2)).toEqual(['raised:low_balance:0', 'resolved:low_balance:0'])
    expect(
      alerts
        .list({ activeOnly: true })
        .map((a) => a.kind)
        .sort(),
    ).toEqual(['monthly_budget', 'monthly_budget'])
  })
})
