import type { Database } from '../db/database'
import { migrate, type Migration } from '../db/migrations'

const BILLING_MIGRATIONS: ReadonlyArray<Migration> = [
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
    `),
  // When a locked invoice was sent and paid (the operator's marks; the invoice itself never changes).
  (db) =>
    db.exec(`
      CREATE TABLE invoice_marks (
        tenant_id TEXT NOT NULL,
        month     TEXT NOT NULL,
        sent_at   INTEGER,
        paid_at   INTEGER,
        PRIMARY KEY (tenant_id, month)
      ) STRICT;
    `),
]

/**
 * Billing's own tables (invoices, invoice_counter, invoice_marks), versioned as component "billing". Databases created before the
 * alerts and balances components owned their tables got those from this migration too; they are kept as they are.
 */
export function migrateBilling(db: Database): void {
  migrate(db, 'billing', BILLING_MIGRATIONS)
}
