import type { Migration } from '../db/migrations'

/** Adds the attempt NEW, just ended, to its bucket of usage_rollup: the body of migration 4's two triggers (as released). */
const ADD_ENDED_ATTEMPT = `INSERT INTO usage_rollup VALUES (NEW.tenant_id, (NEW.ended_at / 900000) * 900000,
          NEW.captcha_type, NEW.status, COALESCE(NEW.error_code, ''), NEW.price_micros, 1, NEW.thread_ms,
          NEW.cost_micros, NEW.price_micros)
        ON CONFLICT DO UPDATE SET n = n + 1, thread_ms = thread_ms + excluded.thread_ms,
          cost_micros = cost_micros + excluded.cost_micros, price_micros = price_micros + excluded.price_micros;`

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
  // Usage per tenant and 15-minute bucket of the end time, kept by triggers as attempts end (in the same
  // transaction) and filled from the rows already there. The console's usage reads, the month's spend and a draft
  // invoice's lines sum these rows instead of every attempt of the month: measured with 1,000,000 solves in a month,
  // the dashboard's reads went from 1.7 s on the event loop every 5 s (the gateway waits meanwhile) to milliseconds.
  // 900000 ms is BUCKET_MS when this was written; an ended attempt never changes (attempts_ended_immutable), so a
  // bucket only ever grows.
  (db) =>
    db.exec(`
      CREATE TABLE usage_rollup (
        tenant_id    TEXT NOT NULL,
        bucket_start INTEGER NOT NULL,
        captcha_type TEXT NOT NULL,
        status       TEXT NOT NULL,
        error_code   TEXT NOT NULL, -- '' for none: a key column, and NULL never equals NULL
        unit_price   INTEGER NOT NULL, -- each attempt's price_micros: invoice lines are per (type, unit price)
        n            INTEGER NOT NULL,
        thread_ms    INTEGER NOT NULL,
        cost_micros  INTEGER NOT NULL,
        price_micros INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, bucket_start, captcha_type, status, error_code, unit_price)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO usage_rollup
        SELECT tenant_id, (ended_at / 900000) * 900000, captcha_type, status, COALESCE(error_code, ''), price_micros,
          COUNT(*), SUM(thread_ms), SUM(cost_micros), SUM(price_micros)
        FROM attempts WHERE ended_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
      CREATE TRIGGER attempts_usage_on_end AFTER UPDATE OF ended_at ON attempts
        WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
      BEGIN
        ${ADD_ENDED_ATTEMPT}
      END;
      CREATE TRIGGER attempts_usage_on_insert AFTER INSERT ON attempts WHEN NEW.ended_at IS NOT NULL
      BEGIN
        ${ADD_ENDED_ATTEMPT}
      END;
    `),
  // Open attempts are found through an index of those that have not ended, instead of one on their status: moving a
  // task from pending to submitted (the upstream's id, written before the tenant is told its task id) no longer
  // rewrites an index entry, two fewer pages in that commit. An attempt is open exactly while ended_at is NULL: the
  // ledger sets both in one statement (an ended status without ended_at is refused by the table's CHECK).
  (db) =>
    db.exec(`
      CREATE INDEX attempts_unended ON attempts (created_at) WHERE ended_at IS NULL;
      DROP INDEX attempts_open;
    `),
]
