/**
 * The gateway's task store: which task id a tenant was given, for which ledger attempt, and — once it ends — the
 * answer or the failure code, kept until the tenant has fetched it (plus a short grace for repeated gets and
 * reports) or the retention time passes. It lives in the engine database, so answers outlive the process: after
 * a kill, recovery settles the attempt from the upstream and delivers the answer here, and the old id works again.
 *
 * Write order is what keeps billing honest: the row is written before the tenant is told the id (an attempt with no
 * row was never announced, and recovery does not bill it), and an answer is written before the ledger bills it.
 * The store shares the ledger's connection (synchronous=NORMAL, db/database.ts). Announcements and answers go
 * through the ledger's group commit (`commits`): a task row commits in the same transaction as the upstream's task
 * id, and the answers that end together share one. Each write is in the WAL once its promise
 * resolves (it survives a process kill) and reaches the disk with the next durable commit (on the solve path, the
 * settle that follows) or the fsync the WAL durability schedules (within 25 ms), whichever comes first.
 */
import type { StatementSync } from 'node:sqlite'
import type { Database } from '../db/database'
import type { GroupCommitter } from '../db/group-commit'
import { migrate } from '../db/migrations'
import type { AttemptRecord } from '../ledger/types'
import type { DeliveredOutcome } from '../solve/types'

const MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) =>
    db.exec(`CREATE TABLE gateway_tasks (
      task_id      TEXT PRIMARY KEY,
      tenant_id    TEXT NOT NULL,
      attempt_id   TEXT NOT NULL UNIQUE,
      captcha_type TEXT NOT NULL,
      state        TEXT NOT NULL CHECK (state IN ('pending','solved','failed')),
      answer       TEXT,
      code         TEXT,
      pingback     TEXT,
      created_at   INTEGER NOT NULL,
      ended_at     INTEGER,
      fetched_at   INTEGER,
      reported_at  INTEGER,
      CHECK (state != 'solved' OR answer IS NOT NULL)
    ) STRICT;
    CREATE INDEX gateway_tasks_ended ON gateway_tasks (ended_at) WHERE ended_at IS NOT NULL;
    CREATE INDEX gateway_tasks_pending ON gateway_tasks (created_at) WHERE state = 'pending';`),
  // The price billed for a solved task, kept with the answer: written before the ledger bills it, so a reader never
  // sees an answer without its cost.
  (db) => db.exec('ALTER TABLE gateway_tasks ADD COLUMN price_micros INTEGER'),
  // The JSON API's callbackUrl (with what its reply needs), kept with the task so a restart does not lose it.
  (db) => db.exec('ALTER TABLE gateway_tasks ADD COLUMN callback TEXT'),
  // The sweep finds fetched answers through an index of their own instead of scanning the whole table.
  (db) =>
    db.exec('CREATE INDEX gateway_tasks_fetched ON gateway_tasks (fetched_at) WHERE fetched_at IS NOT NULL'),
]

export interface GatewayTask {
  taskId: string
  tenantId: string
  attemptId: string
  captchaType: string
  state: 'pending' | 'solved' | 'failed'
  answer: string | null
  /** What the tenant is billed for a solved task (micro-units); null until it is solved. */
  priceMicros: number | null
  code: string | null
  pingback: string | null
  /** The JSON API's callback, as json-api/callbacks.ts wrote it (null: none). */
  callback: string | null
  createdAt: number
  endedAt: number | null
  fetchedAt: number | null
  reportedAt: number | null
}

interface Row {
  task_id: string
  tenant_id: string
  attempt_id: string
  captcha_type: string
  state: GatewayTask['state']
  answer: string | null
  price_micros: number | null
  code: string | null
  pingback: string | null
  callback: string | null
  created_at: number
  ended_at: number | null
  fetched_at: number | null
  reported_at: number | null
}

const toTask = (r: Row): GatewayTask => ({
  taskId: r.task_id,
  tenantId: r.tenant_id,
  attemptId: r.attempt_id,
  captchaType: r.captcha_type,
  state: r.state,
  answer: r.answer,
  priceMicros: r.price_micros === null ? null : Number(r.price_micros),
  code: r.code,
  pingback: r.pingback,
  callback: r.callback,
  createdAt: Number(r.created_at),
  endedAt: r.ended_at === null ? null : Number(r.ended_at),
  fetchedAt: r.fetched_at === null ? null : Number(r.fetched_at),
  reportedAt: r.reported_at === null ? null : Number(r.reported_at),
})

export interface GatewayTaskStore {
  /**
   * Records the id given to the tenant, and resolves to it: tell the tenant once it resolves. A given id that is
   * taken rejects; a function draws ids until one is free, inside the write (no read before it).
   */
  announce(t: {
    taskId: string | (() => string)
    tenantId: string
    attemptId: string
    captchaType: string
    pingback: string | null
    callback?: string | null
    createdAt: number
  }): Promise<string>
  get(taskId: string): GatewayTask | undefined
  /**
   * The result sink's deliver: an attempt's outcome (no-op for attempts the gateway did not announce), stored once
   * it resolves.
   */
  deliver(attemptId: string, o: DeliveredOutcome): Promise<void>
  /**
   * Whether the tenant could ever fetch this gateway attempt's result (recovery bills only those); other sources are
   * not the gateway's to judge (true — recovery has its own rule for console test solves).
   */
  deliverable(attempt: AttemptRecord): boolean
  /** First fetch of an ended task (starts the short grace before it is forgotten). */
  markFetched(taskId: string, at: number): void
  /** Marks a report once; false if it was reported already. */
  markReported(taskId: string, at: number): boolean
  /**
   * Deletes what has been fetched (past the grace) or has outlived the retention, at most `maxRows` of them (a whole
   * number; all of them by default) so a caller can spread a large sweep over several turns of the event loop.
   * Returns how many.
   */
  sweep(now: number, maxRows?: number): number
  onEnded(listener: (task: GatewayTask) => void): () => void
}

export interface GatewayTaskOptions {
  now?: () => number
  /** How long an ended task's answer stays readable when nobody fetches it (default 15 minutes). */
  retentionMs?: () => number
  /** How long after the first fetch an answer stays (repeated gets, reports). Default 5 minutes. */
  fetchedGraceMs?: number
  /**
   * The ledger's group commit on this same connection: announcements and answers are queued on it (kill-safe, not
   * waiting for the disk; it schedules the fsync), sharing the ledger's transactions.
   */
  commits: Pick<GroupCommitter, 'write'>
}

export function openGatewayTasks(db: Database, options: GatewayTaskOptions): GatewayTaskStore {
  migrate(db, 'gateway-tasks', MIGRATIONS)
  const now = options.now ?? Date.now
  const retention = options.retentionMs ?? (() => 15 * 60_000)
  const grace = options.fetchedGraceMs ?? 5 * 60_000
  const listeners = new Set<(t: GatewayTask) => void>()
  /** A write through the group commit: kill-safe, not waiting for the disk. */
  const write = <T>(run: () => T): Promise<T> => options.commits.write(run, { durable: false })
  const s = {
    insert: db.prepare(
      `INSERT INTO gateway_tasks (task_id, tenant_id, attempt_id, captcha_type, state, pingback, callback, created_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (task_id) DO NOTHING`,
    ),
    get: db.prepare('SELECT * FROM gateway_tasks WHERE task_id = ?'),
    byAttempt: db.prepare('SELECT * FROM gateway_tasks WHERE attempt_id = ?'),
    solved: db.prepare(
      `UPDATE gateway_tasks SET state = 'solved', answer = ?, price_micros = ?, code = NULL, ended_at = ?
       WHERE attempt_id = ? AND state = 'pending' RETURNING *`,
    ),
    failed: db.prepare(
      `UPDATE gateway_tasks SET state = 'failed', code = ?, ended_at = ? WHERE attempt_id = ? AND state = 'pending'
       RETURNING *`,
    ),
    fetched: db.prepare(
      `UPDATE gateway_tasks SET fetched_at = ? WHERE task_id = ? AND fetched_at IS NULL AND state != 'pending'`,
    ),
    reported: db.prepare(
      `UPDATE gateway_tasks SET reported_at = ? WHERE task_id = ? AND reported_at IS NULL`,
    ),
    // Each through its own index. One DELETE with OR scanned the whole table on the event loop: measured 0.32 s
    // with 15 minutes of 1,000 solves/s kept (58,000 rows due), 1.6 s when most of them had been fetched.
    sweepEnded: db.prepare(
      'DELETE FROM gateway_tasks WHERE rowid IN (SELECT rowid FROM gateway_tasks WHERE ended_at < ? LIMIT ?)',
    ),
    sweepFetched: db.prepare(
      'DELETE FROM gateway_tasks WHERE rowid IN (SELECT rowid FROM gateway_tasks WHERE fetched_at < ? LIMIT ?)',
    ),
    // A pending row can only outlive its attempt through a bug; it goes after a day so nothing grows forever.
    sweepStale: db.prepare(
      `DELETE FROM gateway_tasks WHERE rowid IN
        (SELECT rowid FROM gateway_tasks WHERE state = 'pending' AND created_at < ? LIMIT ?)`,
    ),
  }
  const get = (taskId: string): GatewayTask | undefined => {
    const r = s.get.get(taskId) as Row | undefined
    return r ? toTask(r) : undefined
  }
  return {
    announce(t) {
      return write(() => {
        for (;;) {
          const taskId = typeof t.taskId === 'function' ? t.taskId() : t.taskId
          const inserted = s.insert.run(
            taskId,
            t.tenantId,
            t.attemptId,
            t.captchaType,
            t.pingback,
            t.callback ?? null,
            t.createdAt,
          )
          if (Number(inserted.changes) === 1) return taskId
          if (typeof t.taskId !== 'function') throw new Error(`task id ${taskId} is taken`)
        }
      })
    },
    get,
    async deliver(attemptId, o) {
      const at = now()
      // One statement: the row as it now is, or nothing when the attempt was not announced or has ended already.
      const r = await write(
        () =>
          ('answer' in o
            ? s.solved.get(o.answer, o.priceMicros, at, attemptId)
            : s.failed.get('code' in o ? o.code : 'ERROR_CAPTCHA_UNSOLVABLE', at, attemptId)) as
            Row | undefined,
      )
      if (!r || listeners.size === 0) return
      const task = toTask(r)
      for (const l of listeners) {
        try {
          l(task)
        } catch {
          // a listener (pingback) cannot undo a delivered answer
        }
      }
    },
    deliverable(attempt) {
      if (attempt.source !== 'gateway') return true
      return s.byAttempt.get(attempt.attemptId) !== undefined
    },
    markFetched(taskId, at) {
      s.fetched.run(at, taskId)
    },
    markReported(taskId, at) {
      return Number(s.reported.run(at, taskId).changes) === 1
    },
    sweep(at, maxRows) {
      // LIMIT -1: no limit.
      let left = maxRows !== undefined && Number.isSafeInteger(maxRows) && maxRows >= 0 ? maxRows : -1
      const step = (stmt: StatementSync, before: number): number => {
        if (left === 0) return 0
        const n = Number(stmt.run(before, left).changes)
        if (left > 0) left -= n
        return n
      }
      return (
        step(s.sweepEnded, at - retention()) +
        step(s.sweepFetched, at - grace) +
        step(s.sweepStale, at - 86_400_000)
      )
    },
    onEnded(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
