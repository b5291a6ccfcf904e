/**
 * Exporting a month's invoices: the one use case behind the console's export (Electron IPC and the headless host's
 * HTTP bridge) and `npm run export`. Every invoice whose grace period has ended is locked first; tenants whose local
 * month has not started yet have no invoice for it; a killed export's temporary files in the folder go; then the
 * files are written (see billing/export-month.ts).
 */
import type { Tenant } from '@shared/tenant'
import { exportMonth, type ExportFormat, type Invoice, type InvoiceBuilder } from '../../billing'
import type { MonthExport } from '../../billing/export-month'
import { mkdirSync } from 'node:fs'
import { removeStalePartials } from '../../billing/stale-partials'
import { ConflictError, NotFoundError } from '../../errors/engine-errors'
import type { SettingsStore } from '../../settings/settings-store'
import type { TenantRegistry } from '../../tenants/registry'
import { localMonthOf } from '../../time/zoned'

/** What the export reads: the running engine's parts, or the billing data of a folder opened without the engine. */
export interface InvoiceExportDeps {
  readonly billing: InvoiceBuilder
  readonly tenants: Pick<TenantRegistry, 'get' | 'list'>
  readonly settings: Pick<SettingsStore, 'get'>
  readonly now: () => number
  /** Locks every invoice whose grace period has ended; returns those it locked. */
  lockDue(): Invoice[]
}

export interface InvoiceExportRequest {
  month: string
  /** One tenant; without it every tenant (deleted ones too) and the all-tenants summary. */
  tenantId?: string
  format: ExportFormat
  /** Start CSVs with a UTF-8 byte-order mark; default: the setting. */
  bom?: boolean
  /** The folder to write into. */
  dir: string
  /** Told what was locked before anything is written. */
  onLocked?(invoices: Invoice[]): void
  onProgress?(rows: number): void
}

/** The month has not started for any of the tenants asked for (so none has an invoice for it yet). */
export class MonthNotStartedError extends ConflictError {
  override name = 'MonthNotStartedError'
}

export interface InvoiceExport extends MonthExport {
  /** The tenants exported (those whose month has started). */
  tenants: Tenant[]
}

export async function exportInvoices(
  deps: InvoiceExportDeps,
  request: InvoiceExportRequest,
): Promise<InvoiceExport> {
  const { month, tenantId } = request
  const one = tenantId === undefined ? undefined : deps.tenants.get(tenantId)
  if (tenantId !== undefined && !one) throw new NotFoundError(`No tenant with id "${tenantId}".`)
  const asked = one ? [one] : deps.tenants.list({ includeDeleted: true })
  const locked = deps.lockDue()
  request.onLocked?.(locked)
  const now = deps.now()
  const tenants = asked.filter((t) => localMonthOf(now, t.timezone) >= month)
  if (asked.length > 0 && tenants.length === 0) throw new MonthNotStartedError(`${month} has not started yet`)
  mkdirSync(request.dir, { recursive: true, mode: 0o700 }) // every format writes into it (PDF-only too)
  removeStalePartials(request.dir) // what a killed export left behind
  const written = await exportMonth(deps.billing, tenants, month, request.dir, {
    format: request.format,
    bom: request.bom ?? deps.settings.get().invoicing.csvBom,
    allTenants: !one,
    onProgress: request.onProgress,
  })
  return { ...written, tenants }
}
