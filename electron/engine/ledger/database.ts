/**
 * The engine's one SQLite file (node:sqlite): WAL, synchronous=FULL, file mode 0600. The ledger, the audit log and
 * billing keep their tables here, each with its own versioned migrations.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'

export type Database = DatabaseSync

export function openDatabase(path: string): Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600))
    chmodSync(path, 0o600)
  }
  const db = new DatabaseSync(path)
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)')
  return db
}

/** Runs the migrations of one component (ledger, audit, billing…) that the file has not seen yet, each in a transaction. */
export function migrate(
  db: Database,
  component: string,
  migrations: ReadonlyArray<(db: Database) => void>,
): void {
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
    { version: number } | undefined
  const current = row?.version ?? 0
  if (current > migrations.length) {
    throw new Error(
      `The ${component} tables are from a newer CaptchaDesk (schema ${current}, this build knows ${migrations.length}). Update the app.`,
    )
  }
  for (let v = current; v < migrations.length; v++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      migrations[v]!(db)
      db.prepare(
        'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version',
      ).run(component, v + 1)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }
}

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

  constructor(private readonly db: Database) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT w'),
      release: db.prepare('RELEASE w'),
      rollbackTo: db.prepare('ROLLBACK TO w'),
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
