import type { StatementSync } from 'node:sqlite'
import type { Database } from './database'

/**
 * Group commit: writes issued in the same tick share one transaction (one fsync); each caller's promise resolves
 * only after COMMIT, so an awaited write is durable. A write that fails rolls back alone (savepoint), not its neighbours.
 */
export class GroupCommitter {
  private queue: Array<{ run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> =
    []
  private scheduled = false
  // Prepared once: re-parsing these per write costs more than the write itself at thousands of writes per second.
  private readonly sql: Record<'begin' | 'commit' | 'savepoint' | 'release' | 'rollbackTo', StatementSync>
  private readonly syncLevel: number

  constructor(private readonly db: Database) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT w'),
      release: db.prepare('RELEASE w'),
      rollbackTo: db.prepare('ROLLBACK TO w'),
    }
    this.syncLevel = syncLevel(db)
  }

  /**
   * Commits what is queued now, written to the WAL but not fsynced: it survives a kill of the process (the data is in
   * the OS), costs a write instead of an fsync, and the next regular group commit fsyncs the WAL (and so it).
   */
  flushWithoutFsync(): void {
    // WAL + synchronous=NORMAL: COMMIT writes the WAL without an fsync. Run with exec, not prepared statements:
    // SQLite applies this pragma when the statement is compiled, not when it runs.
    this.db.exec('PRAGMA synchronous = NORMAL')
    try {
      this.flush()
    } finally {
      this.db.exec(`PRAGMA synchronous = ${this.syncLevel}`)
    }
  }

  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Runs everything queued now (also used before close). */
  flush(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    if (batch.length === 0) return
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = []
    try {
      this.sql.begin.run()
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
    }
    batch.forEach((item, i) => {
      const r = results[i]!
      if (r.ok) item.resolve(r.value)
      else item.reject(r.error)
    })
  }
}

/** The connection's synchronous level (0..3), as set when the database was opened. */
function syncLevel(db: Database): number {
  const v = Number((db.prepare('PRAGMA synchronous').get() as { synchronous?: unknown }).synchronous)
  return Number.isInteger(v) && v >= 0 && v <= 3 ? v : 2
}
