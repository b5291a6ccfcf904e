/** One export variant in its own process, so peak memory (maxRSS) is its own. Prints JSON. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { formatMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { exportInvoice, openBilling } from '../../electron/engine/billing'
import { localTimestampFormatter } from '../../electron/engine/billing/local-time-formatter'
import { openDatabase } from '../../electron/engine/ledger/database'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'

const [variant, dbPath, outDir] = process.argv.slice(2) as [string, string, string]
const tenant: Tenant = {
  id: 't_big',
  name: 'Big Tenant',
  status: 'active',
  keyMode: 'shared',
  limits: {},
  pricePlan: { kind: 'markup', markupBps: 5_000 },
  timezone: 'Europe/Berlin',
  alertThresholds: { percents: [80] },
  shareWeight: 1,
  notes: '',
  createdAt: '',
  updatedAt: '',
}
const db = openDatabase(dbPath)
openSqliteLedger(db)
const billing = openBilling(db, { now: () => Date.parse('2026-12-02T00:00:00Z') })
const t0 = performance.now()
let rows = 0
if (variant === 'streamed') {
  rows = (await exportInvoice(billing, tenant, '2026-11', outDir)).detailRows
} else {
  // Naive: load every row, then unparse all at once (same formatting helpers, so only the approach differs).
  const local = localTimestampFormatter('Europe/Berlin')
  const all = db
    .prepare(
      "SELECT attempt_id, upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros FROM attempts WHERE tenant_id = ? AND status = 'solved' ORDER BY ended_at, attempt_id",
    )
    .all('t_big') as Array<Record<string, number | string>>
  const data = all.map((r) => ({
    timestamp_utc: new Date(Number(r.ended_at)).toISOString(),
    timestamp_local: local(Number(r.ended_at)),
    task_id: r.upstream_task_id,
    captcha_type: r.captcha_type,
    thread_seconds: (Number(r.thread_ms) / 1000).toFixed(3),
    cost: formatMoney(Number(r.cost_micros)),
    price: formatMoney(Number(r.price_micros)),
  }))
  writeFileSync(join(outDir, 'naive.csv'), Papa.unparse(data))
  rows = data.length
}
const seconds = (performance.now() - t0) / 1000
console.log(JSON.stringify({ variant, rows, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }))
