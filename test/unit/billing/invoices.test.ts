import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Tenant } from '@shared/tenant'
import {
  exportInvoice,
  ExportMismatchError,
  openBilling,
  parseCsv,
  SUMMARY_HEADER,
} from '../../../electron/engine/billing'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { seedAttempts } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'
import { addDays } from '../../../electron/engine/billing/invoice-terms'
import { INJECTION_PAYLOADS } from './payloads'

const DAY = 86_400_000
const NOV = Date.parse('2026-10-31T23:00:00Z') // Nov 1, 00:00 in Berlin
const DEC = Date.parse('2026-11-30T23:00:00Z') // Dec 1, 00:00 in Berlin
const JAN = Date.parse('2026-12-31T23:00:00Z')

let dir: string
let db: Database
let ledger: Ledger
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'invoices-'))
  db = openDatabase(join(dir, 'engine.db'))
  ledger = openSqliteLedger(db)
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const tenant = (id: string, over: Partial<Tenant> = {}): Tenant =>
  tenantFixture(id, { timezone: 'Europe/Berlin', ...over })

describe('draft, grace period and lock', () => {
  it('stays a draft until the month has closed plus the grace period, then locks with the next number', () => {
    let now = DEC - 1
    const billing = openBilling(db, ledger, { now: () => now, graceDays: 3 })
    const t = tenant('t_a')
    seedAttempts(db, [
      { id: 'a1', tenantId: 't_a', type: 'turnstile', endedAt: NOV + 1_000, price: 3_000, cost: 2_000 },
      { id: 'a2', tenantId: 't_a', type: 'turnstile', endedAt: DEC - 1_000, price: 3_000, cost: 2_000 },
      { id: 'a3', tenantId: 't_a', type: 'image', endedAt: DEC - 900, price: 1_000, cost: 500 },
      { id: 'a4', tenantId: 't_a', type: 'image', endedAt: DEC - 800, status: 'failed' },
      { id: 'a5', tenantId: 't_a', type: 'image', endedAt: NOV - 1, price: 7 }, // October (Berlin)
    ])
    expect(billing.invoice(t, '2026-11')).toMatchObject({ status: 'draft', number: null, totalMicros: 7_000 })
    now = DEC + 3 * DAY - 1
    expect(billing.invoice(t, '2026-11').status).toBe('draft')
    now = DEC + 3 * DAY
    const inv = billing.invoice(t, '2026-11')
    // October had a solve, so it locks first: numbers follow the months.
    expect(billing.invoice(t, '2026-10')).toMatchObject({
      status: 'locked',
      number: 'CD-2026-000001',
      totalMicros: 7,
    })
    expect(inv).toMatchObject({
      status: 'locked',
      number: 'CD-2026-000002',
      lockedAt: now,
      solves: 3,
      subtotalMicros: 7_000,
      totalMicros: 7_000,
      costMicros: 4_500,
      marginMicros: 2_500,
      periodStartUtc: '2026-10-31T23:00:00.000Z',
      periodEndUtc: '2026-11-30T23:00:00.000Z',
      periodStartLocal: '2026-11-01T00:00:00+01:00',
      periodEndLocal: '2026-12-01T00:00:00+01:00',
    })
    expect(
      inv.lines.map((l) => [l.kind, l.description, l.quantity, l.unitPriceMicros, l.amountMicros]),
    ).toEqual([
      ['usage', 'Cloudflare Turnstile', 2, 3_000, 6_000],
      ['usage', 'Image', 1, 1_000, 1_000],
    ])
    expect(billing.invoice(tenant('t_b'), '2026-11').number).toBe('CD-2026-000003')
    expect(() => billing.invoice(t, '2027-01')).toThrow(/not started/)
    expect(() => billing.invoice(t, '2026-13')).toThrow(/not a month/)
  })

  it('a locked invoice never changes: triggers refuse edits, the hash catches tampering', () => {
    const billing = openBilling(db, ledger, { now: () => DEC + 10 * DAY })
    seedAttempts(db, [{ id: 'b1', tenantId: 't_a', type: 'image', endedAt: NOV + 5, price: 1_000 }])
    const t = tenant('t_a')
    const locked = billing.invoice(t, '2026-11')
    expect(() => db.prepare("UPDATE invoices SET summary_json = '{}'").run()).toThrow(/never changes/)
    expect(() => db.prepare('DELETE FROM invoices').run()).toThrow(/never changes/)
    // The tenant is renamed and its plan changed: the locked invoice still says what it said.
    expect(
      billing.invoice(
        { ...t, name: 'Renamed', pricePlan: { kind: 'markup', markupBps: 0, monthlyMinimumMicros: 9e6 } },
        '2026-11',
      ),
    ).toEqual(locked)
    db.exec('DROP TRIGGER invoices_locked_immutable')
    db.prepare("UPDATE invoices SET summary_json = replace(summary_json, '1000', '1001')").run()
    expect(() => billing.invoice(t, '2026-11')).toThrow(/content hash/)
  })

  it('numbers are sequential without gaps, even when a lock fails half-way', () => {
    const billing = openBilling(db, ledger, { now: () => JAN + 10 * DAY })
    seedAttempts(db, [
      { id: 'c1', tenantId: 't_a', type: 'image', endedAt: NOV + 5 },
      { id: 'c2', tenantId: 't_b', type: 'image', endedAt: NOV + 6 },
    ])
    expect(billing.invoice(tenant('t_a'), '2026-11').number).toBe('CD-2026-000001')
    // A failing insert (a trigger standing in for a full disk) rolls the counter back with it.
    db.exec(
      "CREATE TRIGGER fail_b BEFORE INSERT ON invoices WHEN NEW.tenant_id = 't_b' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    expect(() => billing.invoice(tenant('t_b'), '2026-11')).toThrow(/disk full/)
    db.exec('DROP TRIGGER fail_b')
    expect(billing.invoice(tenant('t_b'), '2026-11').number).toBe('CD-2026-000002')
    expect(billing.invoice(tenant('t_b'), '2026-12').number).toBe('CD-2026-000003')
    const numbers = (
      db.prepare('SELECT number FROM invoices ORDER BY number').all() as Array<{ number: string }>
    ).map((r) => r.number)
    expect(numbers).toEqual(['CD-2026-000001', 'CD-2026-000002', 'CD-2026-000003'])
  })

  it('lockDue locks every due month of every tenant, oldest first, once', () => {
    const now = JAN + 5 * DAY
    const billing = openBilling(db, ledger, { now: () => now })
    seedAttempts(db, [
      { id: 'd1', tenantId: 't_a', type: 'image', endedAt: NOV - 40 * DAY },
      { id: 'd2', tenantId: 't_b', type: 'image', endedAt: DEC + 5 },
      { id: 'd3', tenantId: 't_c', type: 'image', endedAt: JAN + 5 }, // January: not due yet
    ])
    const tenants = ['t_a', 't_b', 't_c'].map((id) => tenant(id))
    const locked = billing.lockDue(tenants)
    expect(locked.map((i) => [i.tenantId, i.month, i.number])).toEqual([
      ['t_a', '2026-09', 'CD-2026-000001'],
      ['t_a', '2026-10', 'CD-2026-000002'],
      ['t_a', '2026-11', 'CD-2026-000003'],
      ['t_a', '2026-12', 'CD-2026-000004'],
      ['t_b', '2026-12', 'CD-2026-000005'],
    ])
    expect(billing.lockDue(tenants)).toEqual([])
    expect(billing.invoice(tenants[2]!, '2027-01').status).toBe('draft')
  })
})

describe('late usage', () => {
  it('a solve of a locked month recorded after the lock is billed on the next open invoice, once', async () => {
    let now = DEC + 1 * DAY
    const billing = openBilling(db, ledger, { now: () => now, graceDays: 3 })
    const t = tenant('t_a')
    seedAttempts(db, [
      { id: 'e1', tenantId: 't_a', type: 'turnstile', endedAt: NOV + 1_000, price: 3_000 },
      // Ended in November, recorded during the grace period: still November's.
      {
        id: 'e2',
        tenantId: 't_a',
        type: 'turnstile',
        endedAt: DEC - 1_000,
        settledAt: DEC + DAY,
        price: 3_000,
      },
    ])
    expect(billing.invoice(t, '2026-11')).toMatchObject({ status: 'draft', totalMicros: 6_000 })
    now = DEC + 4 * DAY
    const locked = billing.invoice(t, '2026-11')
    expect(locked).toMatchObject({ status: 'locked', totalMicros: 6_000 })
    const first = await exportInvoice(billing, t, '2026-11', join(dir, 'x1'))
    // Ended in November, recorded after November locked: late.
    seedAttempts(db, [
      {
        id: 'e3',
        tenantId: 't_a',
        type: 'turnstile',
        endedAt: DEC - 500,
        settledAt: now + 1_000,
        price: 3_000,
      },
      {
        id: 'e4',
        tenantId: 't_a',
        type: 'image',
        endedAt: DEC + 2 * DAY,
        settledAt: now + 2_000,
        price: 1_000,
      },
    ])
    now += 5_000
    expect(billing.invoice(t, '2026-11')).toEqual(locked)
    const dec = billing.invoice(t, '2026-12')
    expect(dec.lines.map((l) => [l.kind, l.fromMonth, l.description, l.quantity, l.amountMicros])).toEqual([
      ['usage', '2026-12', 'Image', 1, 1_000],
      ['late_usage', '2026-11', 'Cloudflare Turnstile — late usage from 2026-11', 1, 3_000],
    ])
    // Re-export of the locked month is byte-identical, and the late row is not in it.
    const again = await exportInvoice(billing, t, '2026-11', join(dir, 'x2'))
    expect(readFileSync(again.detail)).toEqual(readFileSync(first.detail))
    expect(readFileSync(again.summary)).toEqual(readFileSync(first.summary))
    expect(again.detailRows).toBe(2)
    const decFiles = await exportInvoice(billing, t, '2026-12', join(dir, 'x3'))
    const rows = parseCsv(readFileSync(decFiles.detail, 'utf8')).slice(1)
    expect(rows.map((r) => [r[3], r[7]])).toEqual([
      ['image', 'usage'],
      ['turnstile', 'late_usage'],
    ])
  })

  it('a locked export fails (writing nothing) if the ledger no longer matches the stored lines', async () => {
    let now = DEC + 4 * DAY
    const billing = openBilling(db, ledger, { now: () => now })
    const t = tenant('t_a')
    seedAttempts(db, [{ id: 'f1', tenantId: 't_a', type: 'image', endedAt: NOV + 1, price: 1_000 }])
    billing.invoice(t, '2026-11')
    // A row recorded with a time before the lock after the lock (a clock that went backwards).
    seedAttempts(db, [
      { id: 'f2', tenantId: 't_a', type: 'image', endedAt: NOV + 2, settledAt: now - 1, price: 1_000 },
    ])
    now += 1_000
    const out = join(dir, 'bad')
    await expect(exportInvoice(billing, t, '2026-11', out)).rejects.toThrow(ExportMismatchError)
    expect(readdirSync(out)).toEqual([])
  })

  it('after a time-zone change the next period starts where the locked one ended: nothing billed twice or lost', () => {
    let now = DEC + 4 * DAY
    const billing = openBilling(db, ledger, { now: () => now })
    const berlin = tenant('t_a')
    billing.invoice(berlin, '2026-11') // locked, ends 2026-11-30T23:00Z
    const ny = { ...berlin, timezone: 'America/New_York' } // its December would start at 05:00Z
    seedAttempts(db, [{ id: 'g1', tenantId: 't_a', type: 'image', endedAt: DEC + 3_600_000, price: 1_000 }])
    now = DEC + 10 * DAY
    const dec = billing.invoice(ny, '2026-12')
    expect(dec.periodStartUtc).toBe('2026-11-30T23:00:00.000Z')
    expect(dec.periodStartLocal).toBe('2026-11-30T18:00:00-05:00')
    expect(dec.solves).toBe(1)
  })
})

describe('minimum commitment and markup', () => {
  it('adds a minimum-commitment line for the difference only', () => {
    const billing = openBilling(db, ledger, { now: () => DEC + DAY })
    seedAttempts(db, [
      { id: 'h1', tenantId: 't_m', type: 'image', endedAt: NOV + 5, price: 400_000, cost: 100_000 },
    ])
    const inv = billing.invoice(
      tenant('t_m', {
        pricePlan: { kind: 'unit', prices: { image: 400_000 } as never, monthlyMinimumMicros: 1_000_000 },
      }),
      '2026-11',
    )
    expect(inv.lines.at(-1)).toMatchObject({ kind: 'minimum', quantity: 1, amountMicros: 600_000 })
    expect(inv).toMatchObject({ subtotalMicros: 400_000, totalMicros: 1_000_000, marginMicros: 900_000 })
    const above = billing.invoice(
      tenant('t_m', { pricePlan: { kind: 'markup', markupBps: 0, monthlyMinimumMicros: 300_000 } }),
      '2026-11',
    )
    expect(above.lines.some((l) => l.kind === 'minimum')).toBe(false)
    expect(
      billing.invoice(
        tenant('t_z', { pricePlan: { kind: 'markup', markupBps: 0, monthlyMinimumMicros: 5 } }),
        '2026-11',
      ),
    ).toMatchObject({
      solves: 0,
      totalMicros: 5,
    })
  })
})

describe('summary and detail CSVs', () => {
  it('carry every field, round-trip through papaparse, and keep hostile names and task ids inert', async () => {
    const billing = openBilling(db, ledger, { now: () => DEC + DAY })
    seedAttempts(db, [
      {
        id: 'k1',
        tenantId: 't_x',
        type: 'image',
        endedAt: NOV + 5_000,
        price: 1_234,
        cost: 1_000,
        threadMs: 5_000,
      },
      {
        id: 'k2',
        tenantId: 't_x',
        type: 'recaptcha_v2',
        endedAt: NOV + 6_000,
        price: 4_000,
        cost: 3_000,
        threadMs: 61_042,
        taskId: `=cmd|"/c calc"!A1`,
      },
    ])
    for (const [i, name] of INJECTION_PAYLOADS.entries()) {
      const t = tenant('t_x', { name })
      const out = await exportInvoice(billing, t, '2026-11', join(dir, `e${i}`))
      const rawSummary = readFileSync(out.summary, 'utf8')
      const rawDetail = readFileSync(out.detail, 'utf8')
      for (const text of [rawSummary, rawDetail]) {
        expect(text).toMatch(/\r\n$/)
        const Papa = (await import('papaparse')).default
        for (const row of Papa.parse<string[]>(text, { skipEmptyLines: true }).data)
          for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
      }
      const summary = parseCsv(rawSummary)
      expect(summary[0]).toEqual(SUMMARY_HEADER)
      for (const row of summary.slice(1)) {
        expect(row[3]).toBe(name)
        expect(row.slice(0, 3)).toEqual(['DRAFT-2026-11-t_x', 'draft', 't_x'])
        expect(row.slice(4, 10)).toEqual([
          '2026-10-31T23:00:00.000Z',
          '2026-11-30T23:00:00.000Z',
          '2026-11-01T00:00:00+01:00',
          '2026-12-01T00:00:00+01:00',
          'Europe/Berlin',
          'USD',
        ])
      }
      // Issue and due dates close every row (a draft is issued today; 14 days' terms by default).
      for (const row of summary.slice(1)) expect(row.slice(17)).toEqual([row[17], addDays(row[17]!, 14)])
      expect(summary.slice(1).map((r) => r.slice(10, 17))).toEqual([
        ['usage', 'Image', 'image', '2026-11', '1', '0.001234', '0.001234'],
        ['usage', 'reCAPTCHA v2', 'recaptcha_v2', '2026-11', '1', '0.004000', '0.004000'],
        ['subtotal', 'Usage subtotal', '', '', '2', '', '0.005234'],
        ['total', 'Total due', '', '', '', '', '0.005234'],
      ])
      // The header, byte for byte.
      expect(rawDetail.split('\r\n')[0]).toBe(
        'timestamp_utc,timestamp_local,task_id,captcha_type,thread_seconds,cost,price,line,tenant_id,invoice_number',
      )
      expect(parseCsv(rawDetail).slice(1)).toEqual([
        [
          '2026-10-31T23:00:05.000Z',
          '2026-11-01T00:00:05.000+01:00',
          '9000000001',
          'image',
          '5.000',
          '0.001000',
          '0.001234',
          'usage',
          't_x',
          'DRAFT-2026-11-t_x',
        ],
        [
          '2026-10-31T23:00:06.000Z',
          '2026-11-01T00:00:06.000+01:00',
          '=cmd|"/c calc"!A1',
          'recaptcha_v2',
          '61.042',
          '0.003000',
          '0.004000',
          'usage',
          't_x',
          'DRAFT-2026-11-t_x',
        ],
      ])
      expect(rawDetail).toContain(`"'=cmd|""/c calc""!A1"`)
    }
  })
})
