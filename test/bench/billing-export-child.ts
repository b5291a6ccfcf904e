/**
 * One export variant in its own process, so its peak memory (maxRSS) is its own. Prints one JSON line.
 * argv: <streamed|naive> <engine.db> <out dir>
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { formatMoney } from '@shared/money'
import { exportInvoice, openBilling } from '../../electron/engine/billing'
import {
  localTimestampFormatter,
  utcTimestampFormatter,
} from '../../electron/engine/billing/local-time-formatter'
import { openDatabase } from '../../electron/engine/db/database'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'
import { tenantFixture } from '../support/tenant-fixture'

const [variant, dbPath, outDir] = process.argv.slice(2) as [string, string, string]
const tenant = tenantFixture('t_big', { name: 'Big Tenant', timezone: 'Europe/Berlin' })
const db = openDatabase(dbPath)
const ledger = openSqliteLedger(db)
// Dec 2: November is closed but inside the grace period, so this is a draft (the full single-pass path).
const billing = openBilling(db, ledger, { now: () => Date.parse('2026-12-02T00:00:00Z') })
let heapPeak = 0
const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 20)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
let rows = 0
if (variant === 'streamed') {
  rows = (await exportInvoice(billing, tenant, '2026-11', outDir)).detailRows
} else {
  // Naive: load every row, build every record, unparse all at once, write once (the seed's approach).
  const local = localTimestampFormatter('Europe/Berlin')
  const utc = utcTimestampFormatter()
  const all = db
    .prepare(
      "SELECT attempt_id, upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros FROM attempts WHERE tenant_id = ? AND status = 'solved' ORDER BY ended_at, attempt_id",
    )
    .all('t_big') as Array<Record<string, number | string>>
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
  const data = all.map((r) => ({
    invoice_number: 'DRAFT-2026-11-t_big',
    timestamp_utc: utc(Number(r.ended_at)),
    timestamp_local: local(Number(r.ended_at)),
    task_id: r.upstream_task_id,
    captcha_type: r.captcha_type,
    thread_seconds: (Number(r.thread_ms) / 1000).toFixed(3),
    cost: formatMoney(Number(r.cost_micros)),
    price: formatMoney(Number(r.price_micros)),
    line: 'usage',
  }))
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
  const text = Papa.unparse(data, { newline: '\r\n' })
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
  writeFileSync(join(outDir, 'naive.csv'), text)
  rows = data.length
}
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
clearInterval(sampler)
heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
console.log(
  JSON.stringify({
    variant,
    rows,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: heapPeak / 2 ** 20,
  }),
)
