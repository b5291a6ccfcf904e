/**
 * Opens the engine's one SQLite file with the ledger and the audit log on it (one connection, so one group commit
 * queue and one WAL). For CLIs, tests and anything that needs both without the whole engine.
 */
import { openAuditLog, type AuditLog } from '../audit/audit-log'
import { openDatabase, type Database } from './database'
import { openSqliteLedger, type SqliteLedger } from './sqlite-ledger'

export interface EngineDatabase {
  db: Database
  ledger: SqliteLedger
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
