/** Billing: invoices, CSV exports and cost allocation over the engine database. */
import type { Database } from '../db/database'
import type { Ledger } from '../ledger/types'
import { InvoiceBuilder } from './invoice-builder'
import { migrateBilling } from './schema'

export { allocateCosts, type AllocationMode, type TenantCostShare } from './cost-allocation'
export {
  exportAllTenantsSummary,
  exportInvoice,
  invoiceFileNames,
  ExportMismatchError,
  ALL_TENANTS_HEADER,
  DETAIL_HEADER,
  SUMMARY_HEADER,
  type ExportedFiles,
} from './invoice-export'
export { InvoiceBuilder, type Invoice, type InvoiceLine } from './invoice-builder'
export { neutralise, parseCsv, restore } from './csv'

/** Creates the billing tables (after the ledger's) and an invoice builder. Grace period default: 3 days. */
export function openBilling(
  db: Database,
  ledger: Ledger,
  options: { graceDays?: number; currency?: string; now?: () => number } = {},
): InvoiceBuilder {
  migrateBilling(db)
  return new InvoiceBuilder(db, ledger, {
    graceDays: options.graceDays ?? 3,
    currency: options.currency ?? 'USD',
    now: options.now ?? Date.now,
  })
}
