/**
 * A data folder's billing data without the running engine: settings, tenants, the ledger, prepaid credit and the
 * invoice builder over engine.db, and the audit log and webhook a lock is reported to — no vault (nothing here
 * needs a key), no provider, no gateway. For
 * `npm run export`, which calls the same export use case as the console (use-cases/export-invoices.ts).
 */
import { createWebhook, type Webhook } from '../alerts/webhook'
import { openAuditLog } from '../audit/audit-log'
import { liveInvoiceSettings, openBilling } from '../billing'
import { openCreditBook } from '../credit'
import { openDatabase } from '../db/database'
import { openSqliteLedger } from '../ledger/sqlite-ledger'
import { createSettingsStore } from '../settings/settings-store'
import { createTenantRegistry } from '../tenants/registry'
import type { DataPaths } from './data-paths'
import { invoiceLockEvents } from './invoice-lock-events'
import type { InvoiceExportDeps } from './use-cases/export-invoices'

export interface BillingData extends InvoiceExportDeps {
  close(): Promise<void>
}

export function openBillingData(paths: DataPaths, now: () => number): BillingData {
  const db = openDatabase(paths.database)
  const ledger = openSqliteLedger(db, { now })
  let webhook: Webhook | undefined
  const close = async (): Promise<void> => {
    await webhook?.close() // the first delivery attempt of what was locked finishes (no retries after exit)
    await ledger.close()
    db.close()
  }
  try {
    const settings = createSettingsStore(paths.dir, {}, now)
    const audit = openAuditLog(db, now)
    webhook = createWebhook(db, { url: () => settings.get().alertWebhook.url, now })
    // What the running app's lock timer does on a lock (audit line, signed webhook), so a lock by the CLI is the same.
    const locked = invoiceLockEvents({ audit, webhook, emit: () => undefined })
    const credit = openCreditBook(db, { ledger, now })
    const billing = openBilling(db, ledger, { now, credit, ...liveInvoiceSettings(settings) })
    const tenants = createTenantRegistry({ dataDir: paths.dir, now })
    return {
      billing,
      tenants,
      settings,
      now,
      lockDue: () => {
        const invoices = billing.lockDue(tenants.list({ includeDeleted: true }))
        locked.onLocked(invoices)
        return invoices
      },
      close,
    }
  } catch (err) {
    void close()
    throw err
  }
}
