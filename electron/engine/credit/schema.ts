import type { Database } from '../db/database'
import { migrate } from '../db/migrations'

/**
 * Credit's own tables, versioned as component "credit".
 * - credit_entries: top-ups, refunds and adjustments, append-only (triggers refuse UPDATE and DELETE); a reference
 *   is unique per tenant, so the same top-up sent twice is stored once.
 * - credit_periods: when a tenant was prepaid. Solves admitted (created) inside a period draw on the credit.
 */
const MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE credit_entries (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id     TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('top_up','refund','adjustment')),
        amount_micros INTEGER NOT NULL,
        reference     TEXT NOT NULL,
        note          TEXT NOT NULL,
        actor         TEXT NOT NULL,
        at            INTEGER NOT NULL,
        CHECK (kind <> 'top_up' OR amount_micros > 0),
        CHECK (kind <> 'refund' OR amount_micros < 0),
        CHECK (amount_micros <> 0),
        UNIQUE (tenant_id, reference)
      ) STRICT;
      CREATE INDEX credit_entries_tenant ON credit_entries (tenant_id, id);
      CREATE TRIGGER credit_entries_no_update BEFORE UPDATE ON credit_entries BEGIN SELECT RAISE(ABORT, 'credit entries never change'); END;
      CREATE TRIGGER credit_entries_no_delete BEFORE DELETE ON credit_entries BEGIN SELECT RAISE(ABORT, 'credit entries never change'); END;
      CREATE TABLE credit_periods (
        tenant_id  TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at   INTEGER,
        PRIMARY KEY (tenant_id, started_at)
      ) STRICT;
    `),
]

export function migrateCredit(db: Database): void {
  migrate(db, 'credit', MIGRATIONS)
}
