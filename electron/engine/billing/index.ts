/** Billing: invoices, CSV exports and cost allocation over the engine database. */
import type { Database } from '../ledger/database'
import { migrate } from '../ledger/database'
import { InvoiceBuilder } from './invoice-builder'
import { BILLING_MIGRATIONS } from './schema'

export { allocateCosts, type AllocationMode, type TenantCostShare } from './cost-allocation'
export {
  exportAllTenantsSummary,
  exportInvoice,
  ALL_TENANTS_HEADER,
  DETAIL_HEADER,
  SUMMARY_HEADER,
} from './invoice-export'
export { InvoiceBuilder, type Invoice, type InvoiceLine } from './invoice-builder'
export { neutralise, parseCsv, restore } from './csv'

/** Creates the billing tables (after the ledger's) and an invoice builder. */
export function openBilling(
  db: Database,
  options: { graceDays?: number; currency?: string; now?: () => number } = {},
): InvoiceBuilder {
  migrate(db, 'billing', BILLING_MIGRATIONS)
  return new InvoiceBuilder(db, {
    graceDays: options.graceDays ?? 3,
    currency: options.currency ?? 'USD',
    now: options.now ?? Date.now,
  })
}
