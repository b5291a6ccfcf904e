import { migrate, type Database } from '../ledger/database'

export const BILLING_MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE invoices (
        tenant_id    TEXT NOT NULL,
        month        TEXT NOT NULL,
        number       TEXT NOT NULL UNIQUE,
        locked_at    INTEGER NOT NULL,
        currency     TEXT NOT NULL,
        summary_json TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        PRIMARY KEY (tenant_id, month)
      ) STRICT;
      CREATE TRIGGER invoices_locked_immutable BEFORE UPDATE ON invoices BEGIN SELECT RAISE(ABORT, 'a locked invoice never changes'); END;
      CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices BEGIN SELECT RAISE(ABORT, 'a locked invoice never changes'); END;
      CREATE TABLE invoice_counter (year INTEGER PRIMARY KEY, last INTEGER NOT NULL) STRICT;
      CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        subject     TEXT NOT NULL,
        kind        TEXT NOT NULL,
        threshold   INTEGER NOT NULL,
        period      TEXT NOT NULL,
        raised_at   INTEGER NOT NULL,
        resolved_at INTEGER,
        value       INTEGER NOT NULL,
        message     TEXT NOT NULL,
        UNIQUE (subject, kind, threshold, period)
      ) STRICT;
      CREATE TABLE balance_checks (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        account       TEXT NOT NULL,
        label         TEXT NOT NULL,
        checked_at    INTEGER NOT NULL,
        balance_micros INTEGER,
        error_code    TEXT
      ) STRICT;
      CREATE INDEX balance_checks_account ON balance_checks (account, checked_at);
    `),
]

/** Billing's own tables (invoices, invoice_counter, alerts, balance_checks), versioned as component "billing". */
export function migrateBilling(db: Database): void {
  migrate(db, 'billing', BILLING_MIGRATIONS)
  // Billing's read path over the ledger's table: rows recorded in a period (late usage), covering the filter.
  // Created once the ledger's table exists; an index only, never a change to the ledger's rows or columns.
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attempts'").get())
    db.exec(
      'CREATE INDEX IF NOT EXISTS attempts_tenant_settled ON attempts (tenant_id, settled_at, ended_at)',
    )
}
