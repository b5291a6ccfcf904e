/**
 * Writes invoice CSVs: a summary and a detail file per tenant-month, and the operator's all-tenants summary.
 *
 * The detail file is streamed: the ledger is read in keyset chunks (`InvoiceBuilder.detail`; for SQLite on a worker
 * thread, ahead of the formatting), each chunk is formatted, handed to
 * papaparse `unparse` (no header after the first) and written with backpressure to a temp file, while per-(type,
 * price) sums are kept. A draft's summary is built from those same sums, so summary and detail always agree; for a
 * locked invoice the sums are checked against its stored lines and the export fails (no files) if they differ.
 * Both files are fsynced and renamed into place together at the end: never a half-written export.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { CaptchaType } from '@shared/captcha'
import { formatMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { commitAll, csvField, CsvFileWriter, neutralise } from './csv'
import type { Group, Invoice, InvoiceBuilder, InvoiceLine } from './invoice-builder'
import {
  fastMoneyFormatter,
  localTimestampFormatter,
  secondsFromMs,
  utcTimestampFormatter,
} from './local-time-formatter'

const money = (m: number): { number: string } => ({ number: formatMoney(m, 6) })
const num = (n: number): { number: string } => ({ number: String(n) })

export const SUMMARY_HEADER = [
  'invoice_number',
  'status',
  'tenant_id',
  'tenant_name',
  'period_start_utc',
  'period_end_utc',
  'period_start_local',
  'period_end_local',
  'timezone',
  'currency',
  'line',
  'description',
  'captcha_type',
  'from_month',
  'quantity',
  'unit_price',
  'amount',
  'issue_date',
  'due_date',
]
const DETAIL_HEADER = [
  'timestamp_utc',
  'timestamp_local',
  'task_id',
  'captcha_type',
  'thread_seconds',
  'cost',
  'price',
  'line',
  'tenant_id',
  'invoice_number',
]
const ALL_TENANTS_HEADER = [
  'month',
  'tenant_id',
  'tenant_name',
  'invoice_number',
  'status',
  'currency',
  'solves',
  'cost',
  'price',
  'margin',
]

/**
 * File names: `invoice-<month>-<tenant name made safe>-<end of the tenant id>-summary.csv` / `-detail.csv` / `.pdf`.
 * The name keeps letters and digits of any script (every file system takes them); anything else becomes "-".
 */
export function invoiceFileNames(
  tenant: { id: string; name: string },
  month: string,
): { summary: string; detail: string; pdf: string } {
  const base = `invoice-${month}-${safeFileName(tenant.name)}-${tenant.id.replace(/[^A-Za-z0-9]/g, '').slice(-6)}`
  return { summary: `${base}-summary.csv`, detail: `${base}-detail.csv`, pdf: `${base}.pdf` }
}

/** Letters and digits (any script, NFC) kept; runs of anything else → "-"; at most 60 characters; never empty. */
function safeFileName(name: string): string {
  const safe = [
    ...name
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}\p{M}]+/gu, '-')
      .replace(/^-+|-+$/g, ''),
  ]
    .slice(0, 60)
    .join('')
    .replace(/-+$/, '')
  return safe || 'tenant'
}

export interface ExportOptions {
  onProgress?: (rows: number) => void
  /** Start each CSV with a UTF-8 byte-order mark (for Excel). */
  bom?: boolean
}

export interface ExportedFiles {
  summary: string
  detail: string
  invoice: Invoice
  detailRows: number
}

export class ExportMismatchError extends Error {
  override name = 'ExportMismatchError'
}

export async function exportInvoice(
  builder: InvoiceBuilder,
  tenant: Tenant,
  month: string,
  outDir: string,
  options: ExportOptions = {},
): Promise<ExportedFiles> {
  const onProgress = options.onProgress
  const prep = builder.prepare(tenant, month)
  mkdirSync(outDir, { recursive: true })
  const names = invoiceFileNames(tenant, month)
  const id = prep.locked?.number ?? `DRAFT-${month}-${tenant.id}`
  const tenantCell = neutralise(tenant.id)
  const idCell = neutralise(id)
  const detail = new CsvFileWriter(join(outDir, names.detail), DETAIL_HEADER, { bom: options.bom })
  const summary = new CsvFileWriter(join(outDir, names.summary), SUMMARY_HEADER, { bom: options.bom })
  try {
    const local = localTimestampFormatter(tenant.timezone)
    const utc = utcTimestampFormatter()
    const fmt = fastMoneyFormatter()
    const allGroups: Group[][] = []
    let n = 0
    for (const seg of prep.segments) {
      const groups = new Map<CaptchaType, Map<number, Group>>()
      const line = seg.kind
      const lineTail = [line, tenantCell, idCell].map(csvField).join(',')
      for await (const { taskIds, types, numbers } of builder.detail(tenant.id, seg)) {
        for (let i = 0; i < taskIds.length; i++) {
          const taskId = taskIds[i]!
          const type = types[i]!
          const endedAt = numbers[i * 4]!
          const threadMs = numbers[i * 4 + 1]!
          const cost = numbers[i * 4 + 2]!
          const price = numbers[i * 4 + 3]!
          let byPrice = groups.get(type)
          if (!byPrice) groups.set(type, (byPrice = new Map()))
          let g = byPrice.get(price)
          if (!g) {
            g = {
              captchaType: type,
              unitPriceMicros: price,
              quantity: 0,
              amountMicros: 0,
              costMicros: 0,
              threadMs: 0,
            }
            byPrice.set(price, g)
          }
          g.quantity++
          g.amountMicros += price
          g.costMicros += cost
          g.threadMs += threadMs
          // One line per row, built directly: timestamps, numbers, the type and the line kind never need quotes;
          // the task id is neutralised and quoted where needed; the tenant and invoice cells are encoded once.
          detail.pushLine(
            `${utc(endedAt)},${local(endedAt)},${taskId === null ? '' : csvField(neutralise(taskId))},${csvField(type)},` +
              `${secondsFromMs(threadMs)},${fmt(cost)},${fmt(price)},${lineTail}`,
          )
        }
        await detail.flushChunk()
        const before = n
        n += taskIds.length
        if (Math.floor(n / 100_000) > Math.floor(before / 100_000)) onProgress?.(n)
      }
      allGroups.push([...groups.values()].flatMap((m) => [...m.values()]))
    }
    const streamed = builder.assemble(
      tenant,
      month,
      prep.segments,
      allGroups,
      prep.cutoff,
      prep.locked ? 'locked' : 'draft',
      prep.locked?.number ?? null,
    )
    if (prep.locked && !sameUsage(prep.locked.lines, streamed.lines))
      throw new ExportMismatchError(
        `Ledger rows for locked invoice ${prep.locked.number} no longer match its stored lines; nothing was written.`,
      )
    const invoice = prep.locked ?? streamed
    await writeSummary(summary, invoice, id)
    await commitAll([detail, summary])
    onProgress?.(n)
    return { summary: summary.path, detail: detail.path, invoice, detailRows: n }
  } catch (err) {
    await detail.abort()
    await summary.abort()
    throw err
  }
}

function sameUsage(a: InvoiceLine[], b: InvoiceLine[]): boolean {
  const key = (lines: InvoiceLine[]): string =>
    JSON.stringify(
      lines
        .filter((l) => l.kind !== 'minimum')
        .map((l) =>
          JSON.stringify([
            l.kind,
            l.fromMonth,
            l.captchaType,
            l.quantity,
            l.unitPriceMicros,
            l.amountMicros,
            l.costMicros,
          ]),
        )
        .sort(),
    )
  return key(a) === key(b)
}

async function writeSummary(w: CsvFileWriter, invoice: Invoice, id: string): Promise<void> {
  const dates = [invoice.issueDate, invoice.dueDate]
  const head = [
    id,
    invoice.status,
    invoice.tenantId,
    invoice.tenantName,
    invoice.periodStartUtc,
    invoice.periodEndUtc,
    invoice.periodStartLocal,
    invoice.periodEndLocal,
    invoice.timezone,
    invoice.currency,
  ]
  for (const l of invoice.lines) {
    await w.row([
      ...head,
      l.kind,
      l.description,
      l.captchaType ?? '',
      l.fromMonth,
      num(l.quantity),
      money(l.unitPriceMicros),
      money(l.amountMicros),
      ...dates,
    ])
  }
  await w.row([
    ...head,
    'subtotal',
    'Usage subtotal',
    '',
    '',
    num(invoice.solves),
    { number: '' },
    money(invoice.subtotalMicros),
    ...dates,
  ])
  const blank = { number: '' }
  const total = (line: string, description: string, amount: number) =>
    w.row([...head, line, description, '', '', blank, blank, money(amount), ...dates])
  if (invoice.taxRateBps > 0 || invoice.reverseCharge)
    await total('tax', taxLabel(invoice), invoice.taxMicros)
  await total('total', 'Total due', invoice.totalMicros)
  if (invoice.credit) {
    await total('credit_used', 'Paid from prepaid credit', invoice.credit.usedMicros)
    await total('credit_left', 'Prepaid credit left', invoice.credit.leftMicros)
    await total('amount_due', 'Amount due', invoice.amountDueMicros)
  }
}

/** "Tax 20 %" / "Tax 7.5 %" or the reverse-charge note's short form: the same words in the CSV and the PDF. */
export function taxLabel(invoice: Pick<Invoice, 'taxRateBps' | 'reverseCharge'>): string {
  if (invoice.reverseCharge) return 'Tax 0 % (reverse charge)'
  return `Tax ${(invoice.taxRateBps / 100).toFixed(2).replace(/\.?0+$/, '')} %`
}

/**
 * Per tenant: solves, cost, price, margin, invoice number and status; then one "All tenants" total row. `built`:
 * the tenants' invoices when the caller has them already (the month's export), so they are not built again.
 */
export async function exportAllTenantsSummary(
  builder: InvoiceBuilder,
  tenants: Tenant[],
  month: string,
  outDir: string,
  options: { bom?: boolean; built?: Invoice[] } = {},
): Promise<{ path: string; invoices: Invoice[] }> {
  const invoices = options.built ?? tenants.map((t) => builder.invoice(t, month))
  mkdirSync(outDir, { recursive: true })
  const w = new CsvFileWriter(join(outDir, `invoices-${month}-all-tenants.csv`), ALL_TENANTS_HEADER, {
    bom: options.bom,
  })
  try {
    for (const inv of invoices) {
      await w.row([
        month,
        inv.tenantId,
        inv.tenantName,
        inv.number ?? '',
        inv.status,
        inv.currency,
        num(inv.solves),
        money(inv.costMicros),
        money(inv.totalMicros),
        money(inv.marginMicros),
      ])
    }
    const sum = (f: (i: Invoice) => number): number => invoices.reduce((s, i) => s + f(i), 0)
    await w.row([
      month,
      '',
      'All tenants',
      '',
      '',
      invoices[0]?.currency ?? builder.currency,
      num(sum((i) => i.solves)),
      money(sum((i) => i.costMicros)),
      money(sum((i) => i.totalMicros)),
      money(sum((i) => i.marginMicros)),
    ])
    await w.commit()
  } catch (err) {
    await w.abort()
    throw err
  }
  return { path: w.path, invoices }
}
