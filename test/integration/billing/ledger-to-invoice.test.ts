/**
 * Through the real ledger API (begin → markSubmitted → settle, as the solve service does) to alerts, locked
 * invoices, late usage and the exported files, on one SQLite file opened with openEngineDatabase.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseMoney } from '@shared/money'
import { createAlertEngine, ledgerUsageSource } from '../../../electron/engine/alerts/alert-engine'
import { exportInvoice, openBilling, parseCsv } from '../../../electron/engine/billing'
import { openEngineDatabase } from '../../support/engine-database'
import { tenantFixture } from '../../support/tenant-fixture'

describe('ledger → alerts → invoices', () => {
  it('bills what the ledger settled, in the tenant’s month, with late records on the next invoice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-invoice-'))
    let now = Date.parse('2026-11-30T20:00:00Z') // 15:00 in New York
    const edb = openEngineDatabase(join(dir, 'engine.db'), { now: () => now })
    try {
      const tenant = tenantFixture('t_ny', {
        name: 'Acme, "NY"',
        timezone: 'America/New_York',
        limits: { solvesPerDay: 3, monthlyBudgetMicros: 10_000 },
      })
      const billing = openBilling(edb.db, edb.ledger, { now: () => now, graceDays: 2 })
      const alerts = createAlertEngine(edb.db, () => now, {
        tenants: { get: () => tenant, list: () => [tenant] },
        usage: ledgerUsageSource(edb.ledger),
      })
      const raised: string[] = []
      alerts.onAlert((e) => raised.push(`${e.type}:${e.alert.kind}:${e.alert.threshold}`))
      let n = 0
      const solve = async (type: 'turnstile' | 'image', price: number, settle = true): Promise<string> => {
        const id = `att-${++n}`
        await edb.ledger.begin({
          attemptId: id,
          tenantId: tenant.id,
          captchaType: type,
          providerAccount: 'sandbox:acct',
          source: 'gateway',
          createdAt: now,
          reservedMicros: price,
        })
        await edb.ledger.markSubmitted(id, `77${n}`, now + 10)
        if (settle) await settleIt(id, price)
        return id
      }
      const settleIt = async (id: string, price: number) => {
        await edb.ledger.settle(id, {
          status: 'solved',
          readyAt: now + 12_000,
          endedAt: now + 12_000,
          threadMs: 11_990,
          costMicros: price / 2,
          priceMicros: price,
        })
        alerts.evaluate(now)
      }
      await solve('turnstile', 3_000)
      await solve('turnstile', 3_000)
      expect(raised).toEqual([]) // 2 of 3 daily solves (66 %), 6,000 of 10,000 (60 %)
      await solve('image', 2_000)
      // 3 of 3 daily solves → 100 % (one alert: the highest threshold crossed); 8,000 of 10,000 budget → 80 %.
      expect(raised).toEqual(['raised:daily_limit:100', 'raised:monthly_budget:80'])
      // A solve that ends in November (New York) but is only settled after November has locked.
      const lateId = await solve('image', 2_000, false)
      now = Date.parse('2026-12-03T06:00:00Z') // Dec 3, 01:00 in New York: November + 2 days grace is over
      const nov = billing.invoice(tenant, '2026-11')
      expect(nov).toMatchObject({ status: 'locked', number: 'CD-2026-000001', solves: 3, totalMicros: 8_000 })
      now += 60_000
      await edb.ledger.settle(lateId, {
        status: 'solved',
        readyAt: Date.parse('2026-11-30T20:00:12Z'),
        endedAt: Date.parse('2026-11-30T20:00:12Z'),
        threadMs: 11_990,
        costMicros: 1_000,
        priceMicros: 2_000,
      })
      expect(billing.invoice(tenant, '2026-11')).toEqual(nov)
      const dec = billing.invoice(tenant, '2026-12')
      expect(dec.lines).toEqual([
        expect.objectContaining({
          kind: 'late_usage',
          fromMonth: '2026-11',
          quantity: 1,
          amountMicros: 2_000,
        }),
      ])
      const files = await exportInvoice(billing, tenant, '2026-12', join(dir, 'out'))
      const detail = parseCsv(readFileSync(files.detail, 'utf8'))
      expect(detail.slice(1)).toEqual([
        [
          '2026-11-30T20:00:12.000Z',
          '2026-11-30T15:00:12.000-05:00',
          '774',
          'image',
          '11.990',
          '0.001000',
          '0.002000',
          'late_usage',
          tenant.id,
          `DRAFT-2026-12-${tenant.id}`,
        ],
      ])
      const summary = parseCsv(readFileSync(files.summary, 'utf8'))
      expect(summary[1]![3]).toBe('Acme, "NY"')
      expect(parseMoney(summary.at(-1)![16]!)).toBe(2_000)
      // A new day (and month) in New York resolves November 30's alerts.
      alerts.evaluate(now)
      expect(raised.slice(2).sort()).toEqual(['resolved:daily_limit:100', 'resolved:monthly_budget:80'])
    } finally {
      await edb.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
