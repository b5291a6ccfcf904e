/**
 * `npm run export -- --month 2026-11 [--tenant ID] --out DIR [--data-dir DIR] [--format csv|pdf|both] [--bom]`
 * Monthly invoices without the UI (for cron): per tenant a summary and a detail CSV and/or a PDF, and (CSV, without
 * --tenant) the all-tenants summary. Reads the app's data folder (default: the headless host's demo folder, as
 * `npm run serve`), with grace period, currency, invoice terms and the BOM choice from its settings as they are now.
 * Every invoice whose grace period has ended is locked first (as the running app's timer does).
 * Exit codes: 0 done, 1 failure (nothing half-written), 2 bad arguments or no data.
 */
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { formatMoney } from '@shared/money'
import { removeStalePartials } from '../engine/billing/stale-partials'
import { dataPaths, DEFAULT_DEMO_DIR } from '../engine/app/data-paths'
import {
  EXPORT_FORMATS,
  exportMonth,
  liveInvoiceSettings,
  openBilling,
  type ExportFormat,
} from '../engine/billing'
import { openCreditBook } from '../engine/credit'
import { openDatabase } from '../engine/db/database'
import { openSqliteLedger } from '../engine/ledger/sqlite-ledger'
import { createSettingsStore } from '../engine/settings/settings-store'
import { createTenantRegistry } from '../engine/tenants/registry'
import { localMonthOf, parseMonth } from '../engine/time/zoned'

const root = resolve(import.meta.dirname, '../..')
const usage =
  'usage: npm run export -- --month YYYY-MM [--tenant ID] --out DIR [--data-dir DIR] [--format csv|pdf|both] [--bom]\n' +
  '  --format  csv (default): summary + detail CSV; pdf: one PDF per invoice; both\n' +
  '  --bom     start every CSV with a UTF-8 byte-order mark (default: the setting in the app)\n' +
  `  --data-dir defaults to ${join(root, DEFAULT_DEMO_DIR)} (the headless host's folder)`

function fail(message: string): never {
  console.error(`export: ${message}`)
  console.error(usage)
  process.exit(2)
}

let values
try {
  values = parseArgs({
    options: {
      month: { type: 'string' },
      tenant: { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      format: { type: 'string', default: 'csv' },
      bom: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values
} catch (err) {
  fail((err as Error).message)
}
if (values.help) {
  console.log(usage)
  process.exit(0)
}
if (!values.month) fail('--month is required (e.g. --month 2026-11)')
try {
  parseMonth(values.month)
} catch (err) {
  fail((err as Error).message)
}
const format = values.format as ExportFormat
if (!EXPORT_FORMATS.includes(format)) fail(`--format must be csv, pdf or both (got "${values.format}")`)
if (!values.out) fail('--out is required (the folder to write the CSV files to)')
const out = resolve(values.out)
if (existsSync(out) && !statSync(out).isDirectory()) fail(`--out ${out} exists and is not a folder`)
const paths = dataPaths(values['data-dir'] ?? join(root, DEFAULT_DEMO_DIR))
if (!existsSync(paths.database))
  fail(`no CaptchaDesk data in ${paths.dir} (engine.db not found); pass --data-dir`)

const db = openDatabase(paths.database)
const ledger = openSqliteLedger(db)
let code = 0
try {
  const settings = createSettingsStore(paths.dir)
  const credit = openCreditBook(db, { ledger })
  const billing = openBilling(db, ledger, { credit, ...liveInvoiceSettings(settings) })
  const registry = createTenantRegistry({ dataDir: paths.dir })
  const one = values.tenant ? registry.get(values.tenant) : undefined
  if (values.tenant && !one) fail(`no tenant with id "${values.tenant}"`)
  const tenants = one ? [one] : registry.list({ includeDeleted: true })
  const locked = billing.lockDue(registry.list({ includeDeleted: true }))
  for (const inv of locked) console.log(`locked ${inv.number} (${inv.tenantName}, ${inv.month})`)
  const now = Date.now()
  const started = tenants.filter((t) => localMonthOf(now, t.timezone) >= values.month!)
  if (tenants.length > 0 && started.length === 0) fail(`${values.month} has not started yet`)
  removeStalePartials(out) // what a killed export left behind
  const r = await exportMonth(billing, started, values.month, out, {
    format,
    bom: values.bom ?? settings.get().invoicing.csvBom,
    allTenants: !one,
  })
  for (const inv of r.invoices)
    console.log(
      `${inv.tenantName} (${inv.tenantId}): ${inv.number ?? 'draft'} — ${inv.solves} solves, total ${formatMoney(inv.totalMicros, 2)} ${inv.currency}`,
    )
  for (const f of r.files) console.log(`  ${f}`)
  if (!one && format !== 'pdf') console.log(`All tenants (${started.length}): ${r.files.at(-1)}`)
} catch (err) {
  console.error(`export failed: ${(err as Error).message}`)
  code = 1
} finally {
  await ledger.close()
  db.close()
}
process.exit(code)
