/** The ledger on SQLite: durable group commits, idempotent writes keyed by attempt and by upstream task. */
import type { CaptchaType } from '@shared/captcha'
import { GroupCommitter } from '../db/group-commit'
import { migrate } from '../db/migrations'
import { type Database } from '../db/database'
import { LEDGER_MIGRATIONS } from './schema'
import { checkSettle, isNewAttempt, isNewSubmission, known, storedThreadMs } from './ledger-rules'
import { sqliteBillingReads } from './sqlite-billing-reads'
import {
  wholeBuckets,
  type AttemptRecord,
  type AttemptStatus,
  type BeginAttempt,
  type Ledger,
  type SettleOutcome,
} from './types'

interface Row {
  attempt_id: string
  tenant_id: string
  captcha_type: string
  provider_account: string
  upstream_task_id: string | null
  status: string
  error_code: string | null
  source: string
  created_at: number
  submitted_at: number | null
  ready_at: number | null
  ended_at: number | null
  thread_ms: number
  cost_micros: number
  price_micros: number
  reserved_micros: number
}

function toRecord(r: Row): AttemptRecord {
  return {
    attemptId: r.attempt_id,
    tenantId: r.tenant_id,
    captchaType: r.captcha_type as CaptchaType,
    providerAccount: r.provider_account,
    upstreamTaskId: r.upstream_task_id,
    status: r.status as AttemptStatus,
    errorCode: r.error_code,
    source: r.source as AttemptRecord['source'],
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
    readyAt: r.ready_at,
    endedAt: r.ended_at,
    threadMs: r.thread_ms,
    costMicros: r.cost_micros,
    priceMicros: r.price_micros,
    reservedMicros: r.reserved_micros,
  }
}

/** An attempt still in flight (the statuses before one of the ended ones). */
const OPEN = "status IN ('pending','submitted')"

export interface SqliteLedgerOptions {
  now?: () => number
  /**
   * The group commit to write through, shared with other stores on the same connection (the gateway's task store),
   * so their writes of one step share its transactions; the engine's makes committed WAL frames durable off the event
   * loop (db/wal-durability.ts). By default one of the ledger's own, whose COMMIT fsyncs.
   */
  commits?: GroupCommitter
  /** Hears each schema migration that ran on open, and how long it took. */
  onMigrated?: (version: number, ms: number) => void
}

export function openSqliteLedger(db: Database, options: SqliteLedgerOptions = {}): Ledger {
  const now = options.now ?? Date.now
  migrate(db, 'ledger', LEDGER_MIGRATIONS, options.onMigrated)
  const committer = options.commits ?? new GroupCommitter(db)
  // Written before anything goes upstream, and kill-safe once committed to the WAL; they do not wait for the disk
  // (a power cut can lose the last few tens of milliseconds of them: README, "What a power cut can lose"). A caller
  // waits on them (in.php is answered after the second), so they go in the next commit ahead of any backlog.
  const walOnly = { durable: false, urgent: true }
  const s = {
    insert:
      db.prepare(`INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, status, source, created_at, reserved_micros)
      VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (attempt_id) DO NOTHING`),
    get: db.prepare('SELECT * FROM attempts WHERE attempt_id = ?'),
    // What the write path checks when its one-statement try did not apply: only the columns its rules read.
    state: db.prepare(
      'SELECT tenant_id, status, upstream_task_id, provider_account FROM attempts WHERE attempt_id = ?',
    ),
    taskOwner: db.prepare(
      'SELECT attempt_id FROM attempts WHERE provider_account = ? AND upstream_task_id = ?',
    ),
    byTask: db.prepare('SELECT * FROM attempts WHERE provider_account = ? AND upstream_task_id = ?'),
    submit: db.prepare(
      `UPDATE attempts SET status = 'submitted', upstream_task_id = ?, submitted_at = ? WHERE attempt_id = ? AND status = 'pending'`,
    ),
    settleSolved:
      db.prepare(`UPDATE attempts SET status = 'solved', ready_at = ?, ended_at = ?, thread_ms = ?, cost_micros = ?, price_micros = ?, settled_at = ?
      WHERE attempt_id = ? AND ${OPEN}`),
    settleOther:
      db.prepare(`UPDATE attempts SET status = ?, error_code = ?, ended_at = ?, thread_ms = ?, settled_at = ?
      WHERE attempt_id = ? AND ${OPEN}`),
    recent: db.prepare('SELECT * FROM attempts WHERE tenant_id = ? ORDER BY created_at DESC LIMIT ?'),
    // Open attempts through the index of those not ended yet (schema.ts): `ended_at IS NULL` selects it, the status
    // keeps the meaning exact.
    open: db.prepare(`SELECT * FROM attempts WHERE ended_at IS NULL AND ${OPEN} ORDER BY created_at`),
    openByTenant: db.prepare(
      `SELECT tenant_id, COUNT(*) AS n FROM attempts WHERE ended_at IS NULL AND ${OPEN} GROUP BY tenant_id`,
    ),
    countDay: db.prepare(`SELECT
        COALESCE(SUM(CASE WHEN status = 'solved' THEN 1 ELSE 0 END), 0) AS solved,
        COALESCE(SUM(CASE WHEN ${OPEN} THEN 1 ELSE 0 END), 0) AS open
      FROM attempts WHERE tenant_id = ? AND created_at >= ? AND created_at < ?`),
    spentMonth: db.prepare(`SELECT COALESCE(SUM(price_micros), 0) AS spent FROM attempts
      WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ?`),
    // The triggers' rollup (schema.ts), through its primary key: a month is about 3,000 bucket rows per kind of
    // outcome however many solves it had.
    usageTotals: db.prepare(`SELECT status, error_code, SUM(n) AS n, SUM(thread_ms) AS thread_ms,
        SUM(cost_micros) AS cost, SUM(price_micros) AS price
      FROM usage_rollup WHERE tenant_id = ? AND bucket_start >= ? AND bucket_start < ?
      GROUP BY status, error_code`),
    spentBuckets: db.prepare(`SELECT COALESCE(SUM(price_micros), 0) AS spent FROM usage_rollup
      WHERE tenant_id = ? AND bucket_start >= ? AND bucket_start < ? AND status = 'solved'`),
    // Through the index of open attempts (only those in flight): the planner's own pick, (tenant_id, created_at),
    // walked every attempt of the month (measured: 0.13 s per million).
    reservedMonth:
      db.prepare(`SELECT COALESCE(SUM(reserved_micros), 0) AS reserved FROM attempts INDEXED BY attempts_unended
      WHERE ended_at IS NULL AND ${OPEN} AND tenant_id = ? AND created_at >= ? AND created_at < ?`),
  }

  const getRow = (id: string): Row | undefined => s.get.get(id) as Row | undefined
  const stateOf = (id: string) =>
    s.state.get(id) as Pick<Row, 'tenant_id' | 'status' | 'upstream_task_id' | 'provider_account'> | undefined

  /** Settles the attempt if it is still open; whether it was. */
  const settleOpen = (attemptId: string, o: SettleOutcome): boolean => {
    const changed =
      o.status === 'solved'
        ? s.settleSolved.run(
            o.readyAt,
            o.endedAt,
            storedThreadMs(o.threadMs),
            o.costMicros,
            o.priceMicros,
            now(),
            attemptId,
          )
        : s.settleOther.run(o.status, o.errorCode, o.endedAt, storedThreadMs(o.threadMs), now(), attemptId)
    return Number(changed.changes) === 1
  }

  const ledger: Ledger = {
    ...sqliteBillingReads(db),
    // Each write first tries the one statement that applies in the common case (a new attempt, a pending one, an open
    // one), and reads the row to apply the rules only when that did not change anything: every solve passes here
    // three times, and the reads cost as much as the writes (measured: 15 µs each at 200 solves/s).
    begin(a: BeginAttempt) {
      return committer.write(() => {
        if (!Number.isFinite(a.createdAt)) isNewAttempt(a, undefined) // throws: the rule's own error
        const inserted = s.insert.run(
          a.attemptId,
          a.tenantId,
          a.captchaType,
          a.providerAccount,
          a.source,
          a.createdAt,
          a.reservedMicros,
        )
        if (Number(inserted.changes) === 0) isNewAttempt(a, stateOf(a.attemptId)?.tenant_id) // again: no-op or error
      }, walOnly)
    },
    markSubmitted(attemptId, upstreamTaskId, submittedAt) {
      return committer.write(() => {
        try {
          if (Number(s.submit.run(upstreamTaskId, submittedAt, attemptId).changes) === 1) return
        } catch {
          // the task id is recorded for another attempt (the unique index): the rules below name the clash
        }
        const row = known(stateOf(attemptId), attemptId)
        const clash = () =>
          (s.taskOwner.get(row.provider_account, upstreamTaskId) as { attempt_id: string } | undefined)
            ?.attempt_id
        const attempt = { attemptId, status: row.status, upstreamTaskId: row.upstream_task_id }
        if (!isNewSubmission(attempt, upstreamTaskId, clash)) return
        s.submit.run(upstreamTaskId, submittedAt, attemptId)
      }, walOnly)
    },
    settle(attemptId, o: SettleOutcome) {
      return committer.write(() => {
        if (wellFormed(o) && settleOpen(attemptId, o)) return true
        const row = known(stateOf(attemptId), attemptId)
        if (row.status !== 'pending' && row.status !== 'submitted') return false
        checkSettle(o) // throws: the outcome is not one to settle with
        return settleOpen(attemptId, o)
      })
    },
    get(attemptId) {
      const row = getRow(attemptId)
      return row ? toRecord(row) : undefined
    },
    findByUpstreamTask(account, taskId) {
      const row = s.byTask.get(account, taskId) as Row | undefined
      return row ? toRecord(row) : undefined
    },
    recent(tenantId, limit) {
      return (s.recent.all(tenantId, limit) as unknown as Row[]).map(toRecord)
    },
    openAttempts() {
      return (s.open.all() as unknown as Row[]).map(toRecord)
    },
    countForDay(tenantId, startMs, endMs) {
      const r = s.countDay.get(tenantId, startMs, endMs) as { solved: number; open: number }
      return { solved: Number(r.solved), open: Number(r.open) }
    },
    spendForMonth(tenantId, startMs, endMs) {
      // Whole buckets from the rollup, the part-buckets at either end (if any) from the rows: a month of a million
      // solves sums ~3,000 bucket rows (measured 0.4 s → ms), and any bounds stay exact.
      const spentIn = (a: number, b: number): number =>
        a < b ? Number((s.spentMonth.get(tenantId, a, b) as { spent: number }).spent) : 0
      const [lo, hi] = wholeBuckets(startMs, endMs)
      const spent =
        lo < hi
          ? spentIn(startMs, lo) +
            Number((s.spentBuckets.get(tenantId, lo, hi) as { spent: number }).spent) +
            spentIn(hi, endMs)
          : spentIn(startMs, endMs)
      const reserved = (s.reservedMonth.get(tenantId, startMs, endMs) as { reserved: number }).reserved
      return { spentMicros: Number(spent), reservedMicros: Number(reserved) }
    },
    openByTenant() {
      const out = new Map<string, number>()
      for (const r of s.openByTenant.all() as Array<{ tenant_id: string; n: number }>)
        out.set(r.tenant_id, Number(r.n))
      return out
    },
    usageTotals(q) {
      return (s.usageTotals.all(q.tenantId, q.fromMs, q.toMs) as Array<Record<string, unknown>>).map((r) => ({
        status: r.status as AttemptStatus,
        errorCode: r.error_code === '' ? null : String(r.error_code),
        count: Number(r.n),
        threadMs: Number(r.thread_ms),
        costMicros: Number(r.cost),
        priceMicros: Number(r.price),
      }))
    },
    flush() {
      committer.flush()
    },
    async close() {
      await committer.drain()
    },
  }
  return ledger
}

/** Whether checkSettle accepts the outcome. */
function wellFormed(o: SettleOutcome): boolean {
  try {
    checkSettle(o)
    return true
  } catch {
    return false
  }
}
