/** Writes invoice CSVs: a summary and a detail file per tenant, and the operator's all-tenants summary. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { formatMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { CsvFileWriter, neutralise } from './csv'
import type { Invoice, InvoiceBuilder } from './invoice-builder'
import { localTimestampFormatter, utcTimestampFormatter } from './local-time-formatter'

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
]
export const DETAIL_HEADER = [
  'invoice_number',
  'tenant_id',
  'timestamp_utc',
  'timestamp_local',
  'task_id',
  'captcha_type',
  'thread_seconds',
  'cost',
  'price',
  'line',
]
export const ALL_TENANTS_HEADER = [
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

function safeFilePart(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)
}

export interface ExportedFiles {
  summary: string
  detail: string
  invoice: Invoice
  detailRows: number
}

export async function exportInvoice(
  builder: InvoiceBuilder,
  tenant: Tenant,
  month: string,
  outDir: string,
  onProgress?: (rows: number) => void,
): Promise<ExportedFiles> {
  mkdirSync(outDir, { recursive: true })
  const invoice = builder.invoice(tenant, month)
  const base = `invoice-${month}-${safeFilePart(tenant.id)}`
  const summaryPath = join(outDir, `${base}-summary.csv`)
  const detailPath = join(outDir, `${base}-detail.csv`)
  const id = invoice.number ?? `DRAFT-${month}-${tenant.id}`
  const head = [
    id,
    invoice.status,
    tenant.id,
    invoice.tenantName,
    invoice.periodStartUtc,
    invoice.periodEndUtc,
    invoice.periodStartLocal,
    invoice.periodEndLocal,
    invoice.timezone,
    invoice.currency,
  ]
  const summary = new CsvFileWriter(summaryPath, SUMMARY_HEADER)
  try {
    for (const l of invoice.lines) {
      await summary.row([
        ...head,
        l.kind,
        l.description,
        l.captchaType ?? '',
        l.fromMonth,
        num(l.quantity),
        money(l.unitPriceMicros),
        money(l.amountMicros),
      ])
    }
    await summary.row([
      ...head,
      'subtotal',
      'Usage subtotal',
      '',
      '',
      num(invoice.solves),
      { number: '' },
      money(invoice.subtotalMicros),
    ])
    await summary.row([
      ...head,
      'total',
      'Total due',
      '',
      '',
      { number: '' },
      { number: '' },
      money(invoice.totalMicros),
    ])
    await summary.close()
  } catch (err) {
    summary.abort()
    throw err
  }
  const detail = new CsvFileWriter(detailPath, DETAIL_HEADER)
  let n = 0
  try {
    const local = localTimestampFormatter(tenant.timezone)
    const utc = utcTimestampFormatter()
    const safeId = neutralise(id)
    const safeTenant = neutralise(tenant.id)
    for (const [taskId, type, endedAt, threadMs, cost, price, late] of builder.rawRows(
      tenant,
      month,
      invoice.cutoffAt,
    )) {
      const full = detail.pushRaw([
        safeId,
        safeTenant,
        utc(endedAt),
        local(endedAt),
        neutralise(taskId ?? ''),
        type,
        (threadMs / 1000).toFixed(3),
        formatMoney(cost, 6),
        formatMoney(price, 6),
        late ? 'late_usage' : 'usage',
      ])
      if (full) await detail.flushChunk()
      if (++n % 100_000 === 0) onProgress?.(n)
    }
    await detail.close()
  } catch (err) {
    detail.abort()
    throw err
  }
  onProgress?.(n)
  return { summary: summaryPath, detail: detailPath, invoice, detailRows: n }
}

export async function exportAllTenantsSummary(
  builder: InvoiceBuilder,
  tenants: Tenant[],
  month: string,
  outDir: string,
): Promise<{ path: string; invoices: Invoice[] }> {
  mkdirSync(outDir, { recursive: true })
  const path = join(outDir, `invoices-${month}-all-tenants.csv`)
  const w = new CsvFileWriter(path, ALL_TENANTS_HEADER)
  const invoices: Invoice[] = []
  try {
    for (const t of tenants) {
      const inv = builder.invoice(t, month)
      invoices.push(inv)
      await w.row([
        month,
        t.id,
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
      invoices[0]?.currency ?? 'USD',
      num(sum((i) => i.solves)),
      money(sum((i) => i.costMicros)),
      money(sum((i) => i.totalMicros)),
      money(sum((i) => i.marginMicros)),
    ])
    await w.close()
  } catch (err) {
    w.abort()
    throw err
  }
  return { path, invoices }
}
