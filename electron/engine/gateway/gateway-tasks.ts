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
 *
 * A tenant's task id is the row's own key, drawn from its attempt id (`taskIdsFor`): an attempt's row is found through
 * that key, so an announcement writes the row and one small index, not also an index of task ids and one of attempt
 * ids (measured: two fewer pages in the commit before the tenant is told its id).
 */
import { hash } from 'node:crypto'
import type { StatementSync } from 'node:sqlite'
import type { Database } from '../db/database'
import type { GroupCommitter } from '../db/group-commit'
import { migrate } from '../db/migrations'
import type { AttemptRecord } from '../ledger/types'
import type { DeliveredOutcome } from '../solve/types'

export const GATEWAY_TASK_MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
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
  // The task id becomes the row's key (INTEGER PRIMARY KEY), drawn from the attempt id from now on, and the indexes of
  // task ids and of attempt ids go. Rows from before keep the ids their tenants were given (random, all digits) and
  // are marked `id_drawn = 0`: a small index of their own finds them by attempt until they are swept (15 minutes
  // after they end, by default).
  (db) =>
    db.exec(`CREATE TABLE gateway_tasks_keyed (
      task_id      INTEGER PRIMARY KEY,
      tenant_id    TEXT NOT NULL,
      attempt_id   TEXT NOT NULL,
      captcha_type TEXT NOT NULL,
      state        TEXT NOT NULL CHECK (state IN ('pending','solved','failed')),
      answer       TEXT,
      code         TEXT,
      pingback     TEXT,
      created_at   INTEGER NOT NULL,
      ended_at     INTEGER,
      fetched_at   INTEGER,
      reported_at  INTEGER,
      price_micros INTEGER,
      callback     TEXT,
      id_drawn     INTEGER NOT NULL DEFAULT 1 CHECK (id_drawn IN (0, 1)),
      CHECK (state != 'solved' OR answer IS NOT NULL)
    ) STRICT;
    INSERT INTO gateway_tasks_keyed (task_id, tenant_id, attempt_id, captcha_type, state, answer, code, pingback,
        created_at, ended_at, fetched_at, reported_at, price_micros, callback, id_drawn)
      SELECT CAST(task_id AS INTEGER), tenant_id, attempt_id, captcha_type, state, answer, code, pingback, created_at,
        ended_at, fetched_at, reported_at, price_micros, callback, 0
      FROM gateway_tasks WHERE length(task_id) BETWEEN 1 AND 15 AND task_id NOT GLOB '*[^0-9]*';
    DROP TABLE gateway_tasks;
    ALTER TABLE gateway_tasks_keyed RENAME TO gateway_tasks;
    CREATE INDEX gateway_tasks_ended ON gateway_tasks (ended_at) WHERE ended_at IS NOT NULL;
    CREATE INDEX gateway_tasks_pending ON gateway_tasks (created_at) WHERE state = 'pending';
    CREATE INDEX gateway_tasks_fetched ON gateway_tasks (fetched_at) WHERE fetched_at IS NOT NULL;
    CREATE INDEX gateway_tasks_given ON gateway_tasks (attempt_id) WHERE id_drawn = 0;`),
]

/** How many task ids an attempt can have (announce takes the first that is free). */
const CANDIDATES = 4

/**
 * The task ids an attempt can be given, in the order announce tries them: 12-digit numbers, as the upstream's are,
 * each from 52 bits of the attempt id's SHA-256. Attempt ids are random UUIDs the tenant never sees, so the ids reveal
 * nothing and cannot be guessed; and a tenant can read only its own tasks anyway. All four are taken only if the store
 * holds billions of tasks.
 */
export function taskIdsFor(attemptId: string): number[] {
  const digest = hash('sha256', attemptId, 'hex')
  const ids: number[] = []
  for (let k = 0; k < CANDIDATES; k++)
    ids.push(1e11 + (parseInt(digest.slice(k * 13, k * 13 + 13), 16) % 9e11))
  return ids
}

/** A task id as the tenant sends it → the row's key, or undefined when it cannot be one (not all digits, too long). */
const keyOf = (taskId: string): number | undefined =>
  /^[1-9]\d{0,14}$/.test(taskId) ? Number(taskId) : undefined

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
  task_id: number
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
  taskId: String(r.task_id),
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
   * Records the task, and resolves to the id the tenant is given (drawn from the attempt id: taskIdsFor): tell the
   * tenant once it resolves. An attempt is announced once; a second time rejects.
   */
  announce(t: {
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
  migrate(db, 'gateway-tasks', GATEWAY_TASK_MIGRATIONS)
  const now = options.now ?? Date.now
  const retention = options.retentionMs ?? (() => 15 * 60_000)
  const grace = options.fetchedGraceMs ?? 5 * 60_000
  const listeners = new Set<(t: GatewayTask) => void>()
  /**
   * A write through the group commit: kill-safe, not waiting for the disk. `urgent` for the task row a tenant's in.php
   * waits on: it goes in the next commit ahead of any backlog of deliveries (db/group-commit.ts).
   */
  const write = <T>(run: () => T, urgent = false): Promise<T> =>
    options.commits.write(run, { durable: false, urgent })
  const s = {
    insert: db.prepare(
      `INSERT INTO gateway_tasks (task_id, tenant_id, attempt_id, captcha_type, state, pingback, callback, created_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (task_id) DO NOTHING`,
    ),
    get: db.prepare('SELECT * FROM gateway_tasks WHERE task_id = ?'),
    attemptAt: db.prepare('SELECT attempt_id FROM gateway_tasks WHERE task_id = ?'),
    // An attempt's row: at one of its drawn ids (four probes of the key), or one from before ids were drawn.
    drawnKey: db.prepare(
      'SELECT task_id FROM gateway_tasks WHERE task_id IN (?, ?, ?, ?) AND attempt_id = ?',
    ),
    givenKey: db.prepare('SELECT task_id FROM gateway_tasks WHERE id_drawn = 0 AND attempt_id = ?'),
    solved: db.prepare(
      `UPDATE gateway_tasks SET state = 'solved', answer = ?, price_micros = ?, code = NULL, ended_at = ?
       WHERE task_id = ? AND state = 'pending' RETURNING *`,
    ),
    failed: db.prepare(
      `UPDATE gateway_tasks SET state = 'failed', code = ?, ended_at = ? WHERE task_id = ? AND state = 'pending'
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
    const key = keyOf(taskId)
    const r = key === undefined ? undefined : (s.get.get(key) as Row | undefined)
    return r ? toTask(r) : undefined
  }
  /** The key of an attempt's row, or undefined if it was never announced (or has been swept). */
  const keyOfAttempt = (attemptId: string): number | undefined => {
    const r = (s.drawnKey.get(...taskIdsFor(attemptId), attemptId) ?? s.givenKey.get(attemptId)) as
      { task_id: number } | undefined
    return r?.task_id
  }
  return {
    announce(t) {
      const ids = taskIdsFor(t.attemptId)
      return write(() => {
        for (const id of ids) {
          const inserted = s.insert.run(
            id,
            t.tenantId,
            t.attemptId,
            t.captchaType,
            t.pingback,
            t.callback ?? null,
            t.createdAt,
          )
          if (Number(inserted.changes) === 1) return String(id)
          const holder = s.attemptAt.get(id) as { attempt_id: string } | undefined
          if (holder?.attempt_id === t.attemptId) throw new Error('this attempt has a task already')
        }
        throw new Error('every task id this attempt can have is taken')
      }, true)
    },
    get,
    async deliver(attemptId, o) {
      const at = now()
      // The row as it now is, or nothing when the attempt was not announced or has ended already.
      const r = await write(() => {
        const key = keyOfAttempt(attemptId)
        if (key === undefined) return undefined
        return (
          'answer' in o
            ? s.solved.get(o.answer, o.priceMicros, at, key)
            : s.failed.get('code' in o ? o.code : 'ERROR_CAPTCHA_UNSOLVABLE', at, key)
        ) as Row | undefined
      })
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
      return keyOfAttempt(attempt.attemptId) !== undefined
    },
    markFetched(taskId, at) {
      const key = keyOf(taskId)
      if (key !== undefined) s.fetched.run(at, key)
    },
    markReported(taskId, at) {
      const key = keyOf(taskId)
      return key !== undefined && Number(s.reported.run(at, key).changes) === 1
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
