/**
 * `npm run export -- --month 2026-11 [--tenant ID] --out DIR [--data-dir DIR]`
 * Monthly invoice CSVs without the UI (for cron). Exit codes: 0 done, 2 bad arguments, 1 failure.
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { dataPaths, DEFAULT_DEMO_DIR } from '../engine/app/data-paths'
import { exportAllTenantsSummary, exportInvoice, openBilling } from '../engine/billing'
import { openDatabase } from '../engine/ledger/database'
import { openSqliteLedger } from '../engine/ledger/sqlite-ledger'
import { createTenantRegistry } from '../engine/tenants/registry'
import { parseMonth } from '../engine/time/zoned'

const usage = 'usage: npm run export -- --month YYYY-MM [--tenant ID] --out DIR [--data-dir DIR]'
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
      help: { type: 'boolean' },
    },
    strict: true,
  }).values
} catch (err) {
  fail((err as Error).message)
}
if (values.help) {
  console.log(usage)
  process.exit(0)
}
if (!values.month) fail('--month is required')
try {
  parseMonth(values.month)
} catch (err) {
  fail((err as Error).message)
}
if (!values.out) fail('--out is required')
const paths = dataPaths(values['data-dir'] ?? DEFAULT_DEMO_DIR)
if (!existsSync(paths.database))
  fail(`no CaptchaDesk data in ${paths.dir} (engine.db not found); pass --data-dir`)

try {
  const db = openDatabase(paths.database)
  openSqliteLedger(db)
  const billing = openBilling(db)
  const registry = createTenantRegistry({ dataDir: paths.dir })
  const tenants = values.tenant
    ? [registry.get(values.tenant)].filter((t) => t !== undefined)
    : registry.list({ includeDeleted: true })
  if (values.tenant && tenants.length === 0) fail(`no tenant with id "${values.tenant}"`)
  for (const t of tenants) {
    const r = await exportInvoice(billing, t, values.month, values.out)
    console.log(
      `${t.name} (${t.id}): ${r.invoice.number ?? 'draft'} — ${r.invoice.solves} solves, total ${(r.invoice.totalMicros / 1e6).toFixed(2)} ${r.invoice.currency}`,
    )
    console.log(`  ${r.summary}\n  ${r.detail}`)
  }
  if (!values.tenant)
    console.log(
      `All tenants: ${(await exportAllTenantsSummary(billing, tenants, values.month, values.out)).path}`,
    )
  db.close()
} catch (err) {
  console.error(`export failed: ${(err as Error).message}`)
  process.exit(1)
}
