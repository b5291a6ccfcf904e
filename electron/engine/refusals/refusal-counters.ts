/**
 * Refusals are counted, not journaled: a request refused by a limit (or for bad input) leaves no ledger row of its
 * own, only +1 on a counter per tenant, UTC minute and code. Counts gather in memory and are written every few
 * seconds as one upsert per (tenant, minute, code), so a client hammering at 140 refusals/s for an hour adds about
 * 60 small rows, not 500,000. A process kill loses at most the last flush interval of counts (they are statistics
 * for the dashboard and for spotting abuse, never money).
 */
import type { Database } from '../db/database'
import { migrate } from '../db/migrations'

const MINUTE_MS = 60_000

const MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) =>
    db.exec(`CREATE TABLE refusal_counts (
      tenant_id TEXT NOT NULL,
      minute    INTEGER NOT NULL,
      code      TEXT NOT NULL,
      count     INTEGER NOT NULL CHECK (count > 0),
      PRIMARY KEY (tenant_id, minute, code)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX refusal_counts_minute ON refusal_counts (minute);`),
]

export interface RefusalCount {
  tenantId: string
  /** Start of the UTC minute, ms since the epoch. */
  minute: number
  code: string
  count: number
}

export interface RefusalCounters {
  /** +1 for this tenant and code at `at` (ms). Never throws, never blocks on the disk. */
  count(tenantId: string, code: string, at: number): void
  /** Counts in [fromMs, toMs) by minute (written and not yet written), optionally for one tenant. */
  list(q: { tenantId?: string; fromMs: number; toMs: number }): RefusalCount[]
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
  migrate(db, 'refusals', MIGRATIONS)
  const now = options.now ?? Date.now
  const retentionMs = (options.retentionDays ?? 400) * 86_400_000
  const pending = new Map<string, RefusalCount>()
  const upsert = db.prepare(
    `INSERT INTO refusal_counts (tenant_id, minute, code, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (tenant_id, minute, code) DO UPDATE SET count = count + excluded.count`,
  )
  const prune = db.prepare('DELETE FROM refusal_counts WHERE minute < ?')
  const listAll = db.prepare('SELECT * FROM refusal_counts WHERE minute >= ? AND minute < ? ORDER BY minute')
  const listOne = db.prepare(
    'SELECT * FROM refusal_counts WHERE tenant_id = ? AND minute >= ? AND minute < ? ORDER BY minute',
  )
  let lastPrune = 0

  function flush(): void {
    if (pending.size === 0) return
    const rows = [...pending.values()]
    pending.clear()
    try {
      db.exec('BEGIN IMMEDIATE')
      for (const r of rows) upsert.run(r.tenantId, r.minute, r.code, r.count)
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
      for (const r of rows) add(r.tenantId, r.minute, r.code, r.count)
    }
  }

  function add(tenantId: string, minute: number, code: string, n: number): void {
    const key = `${tenantId}\u0000${minute}\u0000${code}`
    const r = pending.get(key)
    if (r) r.count += n
    else pending.set(key, { tenantId, minute, code, count: n })
  }

  const timer = setInterval(flush, options.flushEveryMs ?? 5_000)
  timer.unref()

  return {
    count(tenantId, code, at) {
      add(tenantId, Math.floor(at / MINUTE_MS) * MINUTE_MS, safeCode(code), 1)
    },
    list({ tenantId, fromMs, toMs }) {
      const rows = (
        tenantId === undefined ? listAll.all(fromMs, toMs) : listOne.all(tenantId, fromMs, toMs)
      ) as Array<{ tenant_id: string; minute: number; code: string; count: number }>
      const out: RefusalCount[] = rows.map((r) => ({
        tenantId: r.tenant_id,
        minute: Number(r.minute),
        code: r.code,
        count: Number(r.count),
      }))
      for (const r of pending.values())
        if ((tenantId === undefined || r.tenantId === tenantId) && r.minute >= fromMs && r.minute < toMs)
          out.push({ ...r })
      return out
    },
    flush,
    close() {
      clearInterval(timer)
      flush()
    },
  }
}
