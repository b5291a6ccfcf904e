/**
 * Refusals are counted, not journaled: a request refused by a limit (or for bad input) leaves no ledger row of its
 * own, only +1 on a counter per tenant, 15-minute UTC bucket and code (the ledger's usage buckets: a local day or
 * month in any zone is whole buckets). Counts gather in memory and are written every few seconds as one upsert per
 * (tenant, bucket, code), so a client hammering at 140 refusals/s for an hour adds 4 small rows per code, not
 * 500,000. A process kill loses at most the last flush interval of counts (they are statistics for the dashboard and
 * for spotting abuse, never money).
 */
import type { Database } from '../db/database'
import { migrate } from '../db/migrations'
import { BUCKET_MS } from '../ledger/types'

export const REFUSAL_MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) =>
    db.exec(`CREATE TABLE refusal_counts (
      tenant_id TEXT NOT NULL,
      minute    INTEGER NOT NULL,
      code      TEXT NOT NULL,
      count     INTEGER NOT NULL CHECK (count > 0),
      PRIMARY KEY (tenant_id, minute, code)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX refusal_counts_minute ON refusal_counts (minute);`),
  // Per 15-minute bucket instead of per minute: the dashboard sums a month of a tenant refused all month long every
  // 5 s, and 86,400 minute rows (two codes) took 58 ms of the event loop; a month is 2,880 buckets per code. No
  // reader needed the minute. 900000 ms is BUCKET_MS when this was written.
  (db) =>
    db.exec(`CREATE TABLE refusal_buckets (
      tenant_id    TEXT NOT NULL,
      bucket_start INTEGER NOT NULL,
      code         TEXT NOT NULL,
      count        INTEGER NOT NULL CHECK (count > 0),
      PRIMARY KEY (tenant_id, bucket_start, code)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO refusal_buckets
      SELECT tenant_id, (minute / 900000) * 900000, code, SUM(count) FROM refusal_counts GROUP BY 1, 2, 3;
    DROP TABLE refusal_counts;
    CREATE INDEX refusal_buckets_start ON refusal_buckets (bucket_start);`),
]

export interface RefusalCount {
  tenantId: string
  /** Start of the 15-minute UTC bucket, ms since the epoch. */
  bucketStart: number
  code: string
  count: number
}

export interface RefusalCounters {
  /** +1 for this tenant and code at `at` (ms). Never throws, never blocks on the disk. */
  count(tenantId: string, code: string, at: number): void
  /**
   * A tenant's counts per code over the buckets that start in [fromMs, toMs) (written and not yet written), summed
   * by SQLite.
   */
  totals(q: { tenantId: string; fromMs: number; toMs: number }): Array<{ code: string; count: number }>
  /** Writes what is in memory now. */
  flush(): void
  close(): void
}

/** Codes are short, fixed identifiers (LIMIT_RATE…); anything else is folded so no text from outside is stored. */
const safeCode = (code: string): string => (/^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'OTHER')

export function openRefusalCounters(
  db: Database,
  options: { flushEveryMs?: number; retentionDays?: number; now?: () => number } = {},
): RefusalCounters {
  migrate(db, 'refusals', REFUSAL_MIGRATIONS)
  const now = options.now ?? Date.now
  const retentionMs = (options.retentionDays ?? 400) * 86_400_000
  const pending = new Map<string, RefusalCount>()
  const upsert = db.prepare(
    `INSERT INTO refusal_buckets (tenant_id, bucket_start, code, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (tenant_id, bucket_start, code) DO UPDATE SET count = count + excluded.count`,
  )
  const prune = db.prepare('DELETE FROM refusal_buckets WHERE bucket_start < ?')
  const totals = db.prepare(
    'SELECT code, SUM(count) AS n FROM refusal_buckets WHERE tenant_id = ? AND bucket_start >= ? AND bucket_start < ? GROUP BY code',
  )
  let lastPrune = 0

  function flush(): void {
    if (pending.size === 0) return
    const rows = [...pending.values()]
    pending.clear()
    try {
      db.exec('BEGIN IMMEDIATE')
      for (const r of rows) upsert.run(r.tenantId, r.bucketStart, r.code, r.count)
      if (now() - lastPrune > 3_600_000) {
        prune.run(now() - retentionMs)
        lastPrune = now()
      }
      db.exec('COMMIT')
    } catch {
      try {
        db.exec('ROLLBACK')
      } catch {
        // no transaction was open
      }
      // Keep the counts for the next try rather than lose them.
      for (const r of rows) add(r.tenantId, r.bucketStart, r.code, r.count)
    }
  }

  function add(tenantId: string, bucketStart: number, code: string, n: number): void {
    const key = `${tenantId}\u0000${bucketStart}\u0000${code}`
    const r = pending.get(key)
    if (r) r.count += n
    else pending.set(key, { tenantId, bucketStart, code, count: n })
  }

  const timer = setInterval(flush, options.flushEveryMs ?? 5_000)
  timer.unref()

  return {
    count(tenantId, code, at) {
      add(tenantId, Math.floor(at / BUCKET_MS) * BUCKET_MS, safeCode(code), 1)
    },
    totals({ tenantId, fromMs, toMs }) {
      const byCode = new Map<string, number>()
      for (const r of totals.all(tenantId, fromMs, toMs) as Array<{ code: string; n: number }>)
        byCode.set(r.code, Number(r.n))
      for (const r of pending.values())
        if (r.tenantId === tenantId && r.bucketStart >= fromMs && r.bucketStart < toMs)
          byCode.set(r.code, (byCode.get(r.code) ?? 0) + r.count)
      return [...byCode].map(([code, count]) => ({ code, count }))
    },
    flush,
    close() {
      clearInterval(timer)
      flush()
    },
  }
}
