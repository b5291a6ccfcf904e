/**
 * Opens the engine's one SQLite file with the ledger and the audit log on it (one connection, so one group commit
 * queue and one WAL). Test support: the engine itself opens each component on its own.
 */
import { openAuditLog, type AuditLog } from '../../electron/engine/audit/audit-log'
import { openDatabase, type Database } from '../../electron/engine/db/database'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../electron/engine/ledger/types'

export interface EngineDatabase {
  db: Database
  ledger: Ledger
  audit: AuditLog
  /** Commits queued ledger writes, then closes the file. */
  close(): Promise<void>
}

export function openEngineDatabase(path: string, options: { now?: () => number } = {}): EngineDatabase {
  const db = openDatabase(path)
  try {
    const audit = openAuditLog(db, options.now)
    const ledger = openSqliteLedger(db, options)
    return {
      db,
      ledger,
      audit,
      async close() {
        await ledger.close()
        db.close()
      },
    }
  } catch (err) {
    db.close()
    throw err
  }
}
