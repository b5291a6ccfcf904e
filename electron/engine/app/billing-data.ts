/**
 * A data folder's billing data without the running engine: settings, tenants, the ledger, prepaid credit and the
 * invoice builder over engine.db — no vault (nothing here needs a key), no provider, no gateway. For
 * `npm run export`, which calls the same export use case as the console (use-cases/export-invoices.ts).
 */
import { liveInvoiceSettings, openBilling } from '../billing'
import { openCreditBook } from '../credit'
import { openDatabase } from '../db/database'
import { openSqliteLedger } from '../ledger/sqlite-ledger'
import { createSettingsStore } from '../settings/settings-store'
import { createTenantRegistry } from '../tenants/registry'
import type { DataPaths } from './data-paths'
import type { InvoiceExportDeps } from './use-cases/export-invoices'

export interface BillingData extends InvoiceExportDeps {
  close(): Promise<void>
}

export function openBillingData(paths: DataPaths, now: () => number): BillingData {
  const db = openDatabase(paths.database)
  const ledger = openSqliteLedger(db, { now })
  const close = async (): Promise<void> => {
    await ledger.close()
    db.close()
  }
  try {
    const settings = createSettingsStore(paths.dir, {}, now)
    const credit = openCreditBook(db, { ledger, now })
    const billing = openBilling(db, ledger, { now, credit, ...liveInvoiceSettings(settings) })
    const tenants = createTenantRegistry({ dataDir: paths.dir, now })
    return {
      billing,
      tenants,
      settings,
      now,
      // No lock timer runs here, so nobody is told: the export prints what it locked.
      lockDue: () => billing.lockDue(tenants.list({ includeDeleted: true })),
      close,
    }
  } catch (err) {
    void close()
    throw err
  }
}
