/** Billing: invoices, CSV exports and cost allocation over the engine database. */
import type { Settings } from '@shared/settings'
import type { Database } from '../db/database'
import type { Ledger } from '../ledger/types'
import { InvoiceBuilder } from './invoice-builder'
import type { CreditSource, InvoiceTerms } from './invoice-terms'
import { migrateBilling } from './schema'

export { allocateCosts, type AllocationMode, type TenantCostShare } from './cost-allocation'
export {
  exportAllTenantsSummary,
  exportInvoice,
  invoiceFileNames,
  ExportMismatchError,
  SUMMARY_HEADER,
  type ExportedFiles,
} from './invoice-export'
export { InvoiceBuilder, type Invoice, type InvoiceLine } from './invoice-builder'
export { parseCsv } from './csv'
export { exportMonth, EXPORT_FORMATS, type ExportFormat } from './export-month'
export { startLockTimer, type LockTimer, type Timers } from './lock-timer'
export { createInvoiceMarks, listInvoices, type InvoiceList } from './invoice-list'

/** Creates the billing tables (after the ledger's) and an invoice builder. Grace period default: 3 days. */
export function openBilling(
  db: Database,
  ledger: Ledger,
  options: {
    /** A number, or a function read at every use (the running app: settings take effect at once). */
    graceDays?: number | (() => number)
    currency?: string | (() => string)
    now?: () => number
    terms?: () => InvoiceTerms
    credit?: CreditSource
  } = {},
): InvoiceBuilder {
  migrateBilling(db)
  const grace = options.graceDays ?? 3
  const currency = options.currency ?? 'USD'
  if (typeof grace === 'number' && (!Number.isFinite(grace) || grace < 0))
    throw new RangeError('graceDays must be a number of days ≥ 0')
  return new InvoiceBuilder(db, ledger, {
    graceDays: typeof grace === 'function' ? grace : () => grace,
    currency: typeof currency === 'function' ? currency : () => currency,
    now: options.now ?? Date.now,
    terms: options.terms,
    credit: options.credit,
  })
}

/** Grace days, currency and invoice terms read from the settings at every use (changes act at once). */
export function liveInvoiceSettings(settings: { get(): Settings }): {
  graceDays: () => number
  currency: () => string
  terms: () => InvoiceTerms
} {
  return {
    graceDays: () => settings.get().invoiceGraceDays,
    currency: () => settings.get().currency,
    terms: () => {
      const s = settings.get()
      return {
        seller: s.seller,
        numberFormat: s.invoicing.numberFormat,
        paymentTermsDays: s.invoicing.paymentTermsDays,
      }
    },
  }
}
