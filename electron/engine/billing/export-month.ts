/**
 * A month's invoice files for some tenants, in the formats asked for: CSV (summary + detail per tenant, and the
 * all-tenants summary when exporting everyone), PDF (one per tenant, from the same invoice object as the CSV
 * summary), or both. Shared by the console's export and `npm run export`.
 */
import { join } from 'node:path'
import type { Tenant } from '@shared/tenant'
import type { Invoice, InvoiceBuilder } from './invoice-builder'
import { exportAllTenantsSummary, exportInvoice, invoiceFileNames } from './invoice-export'
import { writeInvoicePdf } from './invoice-pdf'

export type ExportFormat = 'csv' | 'pdf' | 'both'
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'pdf', 'both']

export interface MonthExport {
  files: string[]
  rows: number
  invoices: Invoice[]
}

export async function exportMonth(
  builder: InvoiceBuilder,
  tenants: Tenant[],
  month: string,
  outDir: string,
  options: { format: ExportFormat; bom?: boolean; allTenants?: boolean; onProgress?: (rows: number) => void },
): Promise<MonthExport> {
  const csv = options.format !== 'pdf'
  const pdf = options.format !== 'csv'
  const out: MonthExport = { files: [], rows: 0, invoices: [] }
  for (const t of tenants) {
    let invoice: Invoice
    if (csv) {
      const before = out.rows
      const r = await exportInvoice(builder, t, month, outDir, {
        bom: options.bom,
        onProgress: (n) => options.onProgress?.(before + n),
      })
      out.rows += r.detailRows
      out.files.push(r.summary, r.detail)
      invoice = r.invoice
    } else invoice = builder.invoice(t, month)
    if (pdf) {
      const path = join(outDir, invoiceFileNames(t, month).pdf)
      await writeInvoicePdf(invoice, path)
      out.files.push(path)
    }
    out.invoices.push(invoice)
  }
  if (csv && options.allTenants)
    out.files.push(
      (
        await exportAllTenantsSummary(builder, tenants, month, outDir, {
          bom: options.bom,
          built: out.invoices,
        })
      ).path,
    )
  return out
}
