import type { StatementSync } from 'node:sqlite'
import type { Database } from './database'
import type { WalDurability } from './wal-durability'

/**
 * Group commit: writes issued in the same tick share one transaction (a backlog is sliced: below); a write that
 * fails rolls back alone (savepoint), not its neighbours. Each caller's promise resolves only once its write is as
 * safe as it asked:
 * - durable (the default): on disk. Without `wal`, COMMIT fsyncs on this thread (the connection's synchronous
 *   level); with it, COMMIT only writes the WAL and the fsync runs off the event loop (./wal-durability.ts).
 * - `{ durable: false }`: committed to the WAL — it survives a kill of the process, and a power cut only until the
 *   next durable commit or the fsync the WAL durability schedules (25 ms later). For writes that must exist before
 *   something else happens (a ledger row before the upstream sees the task) but need not wait for the disk.
 *
 * A tick's commit takes every `{ urgent: true }` write (those a tenant's request waits on: the ledger row before the
 * upstream, the upstream's id and the task row before the reply) and at most `bulkPerTick` (32) of the others, oldest
 * first; the rest go in the next tick's, after the event loop has read the sockets. Answers arrive hundreds at a time
 * (a batched poll, the recovery at start-up): measured at 200 in.php a second, commits of 350–700 deliveries held the
 * event loop for 6–29 ms, and every request that arrived meanwhile waited for them. Writes that depend on each other
 * are awaited one after the other by their callers, so taking urgent ones first reorders only independent writes.
 * Once the oldest waiting write has waited `maxBulkWaitMs` (100 ms), the next commit takes the whole backlog: under a
 * load that queues more than a slice per turn of the event loop, the backlog (answers not yet fetchable, capacity
 * not yet released by their settles) stays bounded, as it was before slicing.
 */
export class GroupCommitter {
  private queue: Item[] = []
  private urgent: Item[] = []
  private scheduled = false
  private readonly syncing = new Set<Promise<void>>()
  // Prepared once: re-parsing these per write costs more than the write itself at thousands of writes per second.
  private readonly sql: Record<'begin' | 'commit' | 'savepoint' | 'release' | 'rollbackTo', StatementSync>
  private readonly syncLevel: number

  private readonly walSync?: () => Promise<void>

  private readonly bulkPerTick: number
  private readonly maxBulkWaitMs: number

  constructor(
    private readonly db: Database,
    private readonly wal?: Pick<WalDurability, 'sync' | 'noteUnsynced'>,
    /**
     * `bulkPerTick` (32: about 0.5–1.5 ms of the event loop on this project's 2-core test machine) and
     * `maxBulkWaitMs` (100): the slicing above. Tests set them.
     */
    options: { bulkPerTick?: number; maxBulkWaitMs?: number } = {},
  ) {
    this.bulkPerTick = options.bulkPerTick ?? 32
    this.maxBulkWaitMs = options.maxBulkWaitMs ?? 100
    this.walSync = wal?.sync
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT w'),
      release: db.prepare('RELEASE w'),
      rollbackTo: db.prepare('ROLLBACK TO w'),
    }
    this.syncLevel = syncLevel(db)
  }

  write<T>(run: () => T, options: { durable?: boolean; urgent?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const item = {
        run,
        durable: options.durable !== false,
        resolve: resolve as (v: unknown) => void,
        reject,
        queuedAt: performance.now(),
      }
      if (options.urgent) this.urgent.push(item)
      else this.queue.push(item)
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      try {
        const oldest = this.queue[0]
        const overdue = oldest !== undefined && performance.now() - oldest.queuedAt >= this.maxBulkWaitMs
        this.commit(this.take(overdue ? Infinity : this.bulkPerTick))
      } finally {
        if (this.queue.length > 0 || this.urgent.length > 0) this.schedule()
      }
    })
  }

  /** The urgent writes, then at most `bulk` of the others (oldest first). */
  private take(bulk: number): Item[] {
    let others = this.queue
    if (others.length <= bulk) this.queue = []
    else others = this.queue.splice(0, bulk)
    if (this.urgent.length === 0) return others
    const batch = this.urgent.concat(others)
    this.urgent = []
    return batch
  }

  /**
   * Commits everything queued now, in one transaction, instead of at the next ticks. The commit itself fsyncs only
   * without `wal` and when a queued write asked to be durable; WAL-only writes are kill-safe when this returns.
   */
  flush(): void {
    this.commit(this.take(Infinity))
  }

  private commit(batch: Item[]): void {
    if (batch.length === 0) return
    const durable = batch.some((item) => item.durable)
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = []
    // WAL + synchronous=NORMAL: COMMIT writes the WAL without an fsync — always with `wal` (the fsync runs off the
    // event loop after), and without it when nothing in the batch needs the disk; otherwise FULL, so COMMIT fsyncs.
    // Changed only when the connection is not at that level already (the solve path's connection is at NORMAL:
    // db/database.ts), and set with exec, not a prepared statement: SQLite applies this pragma when the statement is
    // compiled, and not inside a transaction. Measured: the two execs cost 30–80 µs per commit.
    const walOnly = this.walSync !== undefined || !durable
    const level = walOnly ? NORMAL : Math.max(this.syncLevel, FULL)
    const toggle = level !== this.syncLevel
    try {
      if (toggle) this.db.exec(`PRAGMA synchronous = ${level}`)
      this.sql.begin.run()
      // Alone in its transaction (most commits at a few hundred writes a second), a write needs no savepoint: if it
      // fails, the whole transaction rolls back (below), which is the same.
      if (batch.length === 1) results.push({ ok: true, value: batch[0]!.run() })
      else
        for (const item of batch) {
          this.sql.savepoint.run()
          try {
            results.push({ ok: true, value: item.run() })
            this.sql.release.run()
          } catch (error) {
            this.sql.rollbackTo.run()
            this.sql.release.run()
            results.push({ ok: false, error })
          }
        }
      this.sql.commit.run()
    } catch (error) {
      try {
        this.db.exec('ROLLBACK')
      } catch {
        // the transaction may not have begun
      }
      for (const item of batch) item.reject(error)
      return
    } finally {
      if (toggle) this.db.exec(`PRAGMA synchronous = ${this.syncLevel}`)
    }
    const settle = (which: (durable: boolean) => boolean): void =>
      batch.forEach((item, i) => {
        if (!which(item.durable)) return
        const r = results[i]!
        if (r.ok) item.resolve(r.value)
        else item.reject(r.error)
      })
    if (!this.walSync || !durable) {
      if (walOnly) this.wal?.noteUnsynced() // reaches the disk within the durability's delay
      return settle(() => true)
    }
    settle((d) => !d) // in the WAL: enough for these
    // Durable writes wait for the fsync on the thread pool; the event loop goes on meanwhile.
    const synced = this.walSync().then(
      () => settle((d) => d),
      (error: unknown) => batch.forEach((item) => item.durable && item.reject(error)),
    )
    this.syncing.add(synced)
    void synced.finally(() => this.syncing.delete(synced))
  }

  /** Flushes and waits until every durable write handed out so far is on disk (before close). */
  async drain(): Promise<void> {
    this.flush()
    while (this.syncing.size > 0) await Promise.all(this.syncing)
  }
}

interface Item {
  run: () => unknown
  durable: boolean
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  /** performance.now() when it was queued. */
  queuedAt: number
}

const NORMAL = 1
const FULL = 2

/** The connection's synchronous level (0..3), as set when the database was opened. */
function syncLevel(db: Database): number {
  const v = Number((db.prepare('PRAGMA synchronous').get() as { synchronous?: unknown }).synchronous)
  return Number.isInteger(v) && v >= 0 && v <= 3 ? v : 2
}
