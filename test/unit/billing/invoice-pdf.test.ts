/**
 * PDF invoices read back with pdftotext (poppler-utils): every line and every total equals the CSV summary's (same
 * words, same quantities, the same amounts to the micro), and hostile and non-Latin names come out intact.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { DEFAULT_TENANT_BILLING, type TenantBilling } from '@shared/tenant-billing'
import { exportMonth, invoiceFileNames, openBilling, parseCsv } from '../../../electron/engine/billing'
import { openCreditBook } from '../../../electron/engine/credit'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { localMonthBounds } from '../../../electron/engine/time/zoned'
import { seedAttempts } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'

const NAMES = [
  'ООО «Ромашка» — Москва',
  'Ελληνική Εταιρεία Α.Ε.',
  'Crème Brûlée SàRL, Zürich',
  '=HYPERLINK("http://evil.example","x")',
  '@SUM(1+1) & <b>"Quotes"</b>',
]

let db: Database
let ledger: ReturnType<typeof openSqliteLedger>
let dir: string
beforeEach(() => {
  db = openDatabase(':memory:')
  ledger = openSqliteLedger(db)
  dir = mkdtempSync(join(tmpdir(), 'pdf-'))
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const pdfText = (path: string): string =>
  execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', path, '-'], { encoding: 'utf8' })
const amount = (text: string): number => parseMoney(text.replace(/[^\d.-]/g, ''))

/** Table rows and totals as the PDF prints them: [words, quantity, unit, amount] / [words, amount]. */
function pdfRows(text: string): { lines: string[][]; totals: string[][] } {
  const lines: string[][] = []
  const totals: string[][] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    const full = /^(.+?)\s{2,}([\d,]+)\s{2,}(\S+)\s{2,}(\S+)$/.exec(line)
    if (full && /\d/.test(full[3]!)) lines.push([full[1]!, full[2]!.replace(/,/g, ''), full[3]!, full[4]!])
    else {
      const t =
        /^(Net|Tax .*?|Total due|Paid from prepaid credit|Prepaid credit left|Amount due)\s{2,}(\S+)$/.exec(
          line,
        )
      if (t) totals.push([t[1]!, t[2]!])
    }
  }
  return { lines, totals }
}

describe('PDF invoices', () => {
  it('print every line and total exactly as the CSV, with any tenant name intact', async () => {
    const [start] = localMonthBounds('2026-11', 'UTC')
    const credit = openCreditBook(db, { ledger, now: () => start + 40 * 86_400_000 })
    const billing = openBilling(db, ledger, {
      now: () => start + 40 * 86_400_000,
      graceDays: 3,
      currency: () => 'EUR',
      credit,
      terms: () => ({
        seller: {
          legalName: 'Решатель GmbH',
          address: 'Hauptstraße 1\n10115 Berlin',
          taxId: 'DE123456789',
          paymentInstructions: 'IBAN DE00 1234 — Verwendungszweck: Rechnungsnummer',
          logoPath: '',
        },
        numberFormat: 'INV/{YYYY}/{MM}/{NNNN}',
        paymentTermsDays: 30,
      }),
    })
    const billingFor = (i: number): TenantBilling => ({
      ...DEFAULT_TENANT_BILLING,
      mode: i === 2 ? 'prepaid' : 'postpaid',
      taxRateBps: i === 0 ? 2_000 : i === 1 ? 2_350 : 0,
      reverseCharge: i === 3,
      buyer: { legalName: NAMES[i]!, address: 'Улица 5\nΑθήνα', taxId: `TAX-${i}`, email: '' },
    })
    const tenants: Tenant[] = NAMES.map((name, i) =>
      tenantFixture(`t_${i}`, {
        name,
        billing: billingFor(i),
        pricePlan: {
          kind: 'unit',
          prices: {} as never,
          monthlyMinimumMicros: i === 4 ? 50_000_000 : undefined,
        },
      }),
    )
    credit.syncMode(tenants[2]!, start - 1)
    credit.record({ tenantId: 't_2', kind: 'top_up', amountMicros: 10_000_000, reference: 'p1', actor: 't' })
    let n = 0
    for (const t of tenants)
      seedAttempts(
        db,
        [1_234, 1_234, 2_000, 999_999, 3_000_001].map((price, k) => ({
          id: `${t.id}-${n++}`,
          tenantId: t.id,
          type: (['image', 'image', 'turnstile', 'recaptcha_v2', 'geetest'] as const)[k]!,
          endedAt: start + (k + 1) * 3_600_000,
          price,
        })),
      )
    const out = await exportMonth(billing, tenants, '2026-11', dir, { format: 'both', allTenants: true })
    expect(out.files.filter((f) => f.endsWith('.pdf'))).toHaveLength(5)
    for (const t of tenants) {
      const names = invoiceFileNames(t, '2026-11')
      const summary = parseCsv(readFileSync(join(dir, names.summary), 'utf8'))
      const text = pdfText(join(dir, names.pdf))
      // Names intact, never neutralised (a PDF is not a spreadsheet).
      expect(text).toContain(t.name)
      expect(text).toContain('Решатель GmbH')
      expect(text).toContain('Αθήνα')
      const number = summary[1]![0]!
      expect(number).toMatch(/^INV\/2026\/11\/\d{4}$/)
      expect(text).toContain(`Invoice ${number}`)
      expect(text).toContain(`Issue date: ${summary[1]![17]}`)
      expect(text).toContain(`Due date: ${summary[1]![18]}`)
      const pdf = pdfRows(text)
      const csvLines = summary
        .slice(1)
        .filter((r) => ['usage', 'late_usage', 'minimum'].includes(r[10]!))
        .map((r) => [r[11]!, r[14]!, parseMoney(r[15]!), parseMoney(r[16]!)])
      expect(pdf.lines.map((l) => [l[0], l[1], amount(l[2]!), amount(l[3]!)])).toEqual(csvLines)
      const csvTotals = summary
        .slice(1)
        .filter((r) => !['usage', 'late_usage', 'minimum', 'subtotal'].includes(r[10]!))
        .map((r) => [r[11]!, parseMoney(r[16]!)])
      expect(pdf.totals.filter((r) => r[0] !== 'Net').map((r) => [r[0], amount(r[1]!)])).toEqual(csvTotals)
      expect(csvTotals.length).toBeGreaterThanOrEqual(1)
      expect(text).toContain('€')
    }
    // Tax and reverse charge as set; the prepaid tenant's credit used and left.
    const text = (i: number) => pdfText(join(dir, invoiceFileNames(tenants[i]!, '2026-11').pdf))
    expect(text(0)).toMatch(/Tax 20 %\s+€0\.80\d*/)
    expect(text(1)).toMatch(/Tax 23\.5 %/)
    expect(text(3)).toMatch(/Reverse charge/)
    expect(text(2)).toMatch(/Paid from prepaid credit\s+€4\.004468/)
    expect(text(2)).toMatch(/Prepaid credit left\s+€5\.995532/)
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([])
  })
})
