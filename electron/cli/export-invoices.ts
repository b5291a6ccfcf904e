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
import { formatMoney } from '@shared/money'
import { openBillingData } from '../engine/app/billing-data'
import { dataPaths, DEFAULT_DEMO_DIR } from '../engine/app/data-paths'
import { exportInvoices, MonthNotStartedError } from '../engine/app/use-cases/export-invoices'
import { EXPORT_FORMATS, type ExportFormat } from '../engine/billing'
import { NotFoundError } from '../engine/errors/engine-errors'
import { parseMonth } from '../engine/time/zoned'
import { parseCommandLine } from './command-line'

const root = resolve(import.meta.dirname, '../..')
const usage =
  'usage: npm run export -- --month YYYY-MM [--tenant ID] --out DIR [--data-dir DIR] [--format csv|pdf|both] [--bom]\n' +
  '  --format  csv (default): summary + detail CSV; pdf: one PDF per invoice; both\n' +
  '  --bom     start every CSV with a UTF-8 byte-order mark (default: the setting in the app)\n' +
  `  --data-dir defaults to ${join(root, DEFAULT_DEMO_DIR)} (the headless host's folder)`

const { values, fail } = parseCommandLine('export', usage, {
  month: { type: 'string' },
  tenant: { type: 'string' },
  out: { type: 'string' },
  'data-dir': { type: 'string' },
  format: { type: 'string', default: 'csv' },
  bom: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
})
if (values.help) {
  console.log(usage)
  process.exit(0)
}
const month = values.month || fail('--month is required (e.g. --month 2026-11)')
try {
  parseMonth(month)
} catch (err) {
  fail((err as Error).message)
}
const format = values.format as ExportFormat
if (!EXPORT_FORMATS.includes(format)) fail(`--format must be csv, pdf or both (got "${values.format}")`)
const out = resolve(values.out || fail('--out is required (the folder to write the CSV files to)'))
if (existsSync(out) && !statSync(out).isDirectory()) fail(`--out ${out} exists and is not a folder`)
const paths = dataPaths(values['data-dir'] ?? join(root, DEFAULT_DEMO_DIR))
if (!existsSync(paths.database))
  fail(`no CaptchaDesk data in ${paths.dir} (engine.db not found); pass --data-dir`)

let code = 0
let data: ReturnType<typeof openBillingData> | undefined
try {
  // The command line's clock is the machine's: the one place this command reads it.
  data = openBillingData(paths, Date.now)
  const r = await exportInvoices(data, {
    month,
    tenantId: values.tenant || undefined,
    format,
    bom: values.bom,
    dir: out,
    onLocked: (locked) => {
      for (const inv of locked) console.log(`locked ${inv.number} (${inv.tenantName}, ${inv.month})`)
    },
  })
  for (const inv of r.invoices)
    console.log(
      `${inv.tenantName} (${inv.tenantId}): ${inv.number ?? 'draft'} — ${inv.solves} solves, total ${formatMoney(inv.totalMicros, 2)} ${inv.currency}`,
    )
  for (const f of r.files) console.log(`  ${f}`)
  if (!values.tenant && format !== 'pdf') console.log(`All tenants (${r.tenants.length}): ${r.files.at(-1)}`)
} catch (err) {
  if (err instanceof NotFoundError) fail(`no tenant with id "${values.tenant}"`)
  if (err instanceof MonthNotStartedError) fail(err.message)
  console.error(`export failed: ${(err as Error).message}`)
  code = 1
} finally {
  await data?.close()
}
process.exit(code)
