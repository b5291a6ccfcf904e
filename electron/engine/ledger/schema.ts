import type { Migration } from '../db/migrations'

/** The ledger's tables (component "ledger"): only the ledger reads or writes them. */
export const LEDGER_MIGRATIONS: ReadonlyArray<Migration> = [
  (db) => {
    db.exec(`
      CREATE TABLE attempts (
        attempt_id       TEXT PRIMARY KEY,
        tenant_id        TEXT NOT NULL,
        captcha_type     TEXT NOT NULL,
        provider_account TEXT NOT NULL,
        upstream_task_id TEXT,
        status           TEXT NOT NULL CHECK (status IN ('pending','submitted','solved','failed','timed_out','cancelled','expired','rejected')),
        error_code       TEXT,
        source           TEXT NOT NULL CHECK (source IN ('console','gateway','api')),
        created_at       INTEGER NOT NULL,
        submitted_at     INTEGER,
        ready_at         INTEGER,
        ended_at         INTEGER,
        thread_ms        INTEGER NOT NULL DEFAULT 0 CHECK (thread_ms >= 0),
        cost_micros      INTEGER NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
        price_micros     INTEGER NOT NULL DEFAULT 0 CHECK (price_micros >= 0),
        reserved_micros  INTEGER NOT NULL DEFAULT 0 CHECK (reserved_micros >= 0),
        settled_at       INTEGER,
        -- Failures are never billed.
        CHECK (status = 'solved' OR (cost_micros = 0 AND price_micros = 0)),
        CHECK (status NOT IN ('solved','failed','timed_out','cancelled','expired','rejected') OR ended_at IS NOT NULL),
        UNIQUE (provider_account, upstream_task_id)
      ) STRICT;
      CREATE INDEX attempts_tenant_created ON attempts (tenant_id, created_at);
      CREATE INDEX attempts_tenant_ended ON attempts (tenant_id, ended_at, attempt_id);
      CREATE INDEX attempts_ended ON attempts (ended_at, attempt_id);
      CREATE INDEX attempts_open ON attempts (status) WHERE status IN ('pending','submitted');
      -- Append-only in spirit: a row moves pending → submitted → ended, and an ended row never changes or disappears.
      CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts BEGIN SELECT RAISE(ABORT, 'ledger rows are never deleted'); END;
      CREATE TRIGGER attempts_ended_immutable BEFORE UPDATE ON attempts
        WHEN OLD.status NOT IN ('pending','submitted')
        BEGIN SELECT RAISE(ABORT, 'an ended attempt never changes'); END;
    `)
  },
  // Billing's late-usage reads (rows recorded in a period), covering the filter. Created by billing before the
  // ledger owned it, hence IF NOT EXISTS.
  (db) =>
    db.exec(
      'CREATE INDEX IF NOT EXISTS attempts_tenant_settled ON attempts (tenant_id, settled_at, ended_at)',
    ),
  // Fewer pages written per solve (measured: ledger CPU per solve −20 % in a file database with the WAL). Every read
  // of these two indexes is about ended rows, so they no longer hold open ones: a new attempt, written before it goes
  // upstream, touches five b-trees instead of eight. attempts_ended served no query (the per-account usage read
  // uses the (provider_account, upstream_task_id) index).
  (db) =>
    db.exec(`
      DROP INDEX IF EXISTS attempts_ended;
      DROP INDEX attempts_tenant_ended;
      CREATE INDEX attempts_tenant_ended ON attempts (tenant_id, ended_at, attempt_id) WHERE ended_at IS NOT NULL;
      DROP INDEX attempts_tenant_settled;
      CREATE INDEX attempts_tenant_settled ON attempts (tenant_id, settled_at, ended_at) WHERE settled_at IS NOT NULL;
    `),
]
