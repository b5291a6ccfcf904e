/**
 * Child process (run with --expose-gc) for the streaming test: fills a ledger with ROWS settled attempts, then
 * measures this thread's live heap while `solvedDetail` (an invoice's detail rows, read on a worker) hands them all
 * over, beside `all()` of the same query holding every row. Prints one JSON line.
 */
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('memory-child needs --expose-gc')
const path = process.env.DB_PATH
const rows = Number(process.env.ROWS)
if (!path || !Number.isSafeInteger(rows)) throw new Error('memory-child needs DB_PATH and ROWS')

const db = openDatabase(path)
const ledger = openSqliteLedger(db)
const insert = db.prepare(
  `INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, upstream_task_id, status, error_code, source,
     created_at, submitted_at, ready_at, ended_at, thread_ms, cost_micros, price_micros, reserved_micros, settled_at)
   VALUES (?, 't1', 'recaptcha_v2', 'captchaai:fp', ?, ?, ?, 'gateway', ?, ?, ?, ?, 12000, ?, ?, 3000, ?)`,
)
db.exec('BEGIN')
for (let i = 0; i < rows; i++) {
  const solved = i % 10 !== 0
  const t = 1_000_000 + i * 10
  insert.run(
    `attempt-${String(i).padStart(7, '0')}`,
    `task-${i}`,
    solved ? 'solved' : 'failed',
    solved ? null : 'ERROR_CAPTCHA_UNSOLVABLE',
    t - 15_000,
    t - 14_000,
    t,
    t,
    solved ? 2_990 : 0,
    solved ? 3_000 : 0,
    t + 5,
  )
}
db.exec('COMMIT')

const heap = (): number => {
  gc()
  return process.memoryUsage().heapUsed
}

const q = { tenantId: 't1', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }
let base = heap()
let peakIterate = 0
let count = 0
let ordered = true
let last = -Infinity
let priceSum = 0
const slice = {
  tenantId: q.tenantId,
  endedFrom: q.fromMs,
  endedTo: q.toMs,
  settledFrom: 0,
  settledTo: Number.MAX_SAFE_INTEGER,
  selective: 'ended' as const,
}
for await (const chunk of ledger.solvedDetail(slice)) {
  for (let i = 0; i < chunk.taskIds.length; i++) {
    const endedAt = chunk.numbers[i * 4]!
    if (endedAt < last) ordered = false
    last = endedAt
    priceSum += chunk.numbers[i * 4 + 3]!
    if (++count % 5_000 === 0) peakIterate = Math.max(peakIterate, heap() - base)
  }
}

base = heap()
const held = db
  .prepare(
    "SELECT * FROM attempts WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? ORDER BY ended_at, attempt_id",
  )
  .all(q.tenantId, q.fromMs, q.toMs)
const peakAll = heap() - base
const heldCount = held.length

db.close()
process.stdout.write(`${JSON.stringify({ count, ordered, priceSum, peakIterate, peakAll, heldCount })}\n`)
