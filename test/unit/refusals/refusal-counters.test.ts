import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { migrate } from '../../../electron/engine/db/migrations'
import { openRefusalCounters, REFUSAL_MIGRATIONS } from '../../../electron/engine/refusals/refusal-counters'

const M15 = 900_000
let dir: string
let db: Database
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'refusals-'))
  db = openDatabase(join(dir, 'engine.db'))
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const sorted = (rows: Array<{ code: string; count: number }>) =>
  [...rows].sort((a, b) => a.code.localeCompare(b.code))

describe('refusal counters', () => {
  it('count per tenant, 15-minute bucket and code, written or not yet written', () => {
    const counters = openRefusalCounters(db, { flushEveryMs: 3_600_000, now: () => 10 * M15 })
    counters.count('t1', 'LIMIT_RATE', M15 - 1)
    counters.count('t1', 'LIMIT_RATE', M15)
    counters.count('t1', 'LIMIT_RATE', 2 * M15 - 1)
    counters.count('t1', 'not a code; DROP TABLE', M15 + 5) // folded, never stored as sent
    counters.count('t2', 'LIMIT_RATE', M15)
    counters.flush()
    counters.count('t1', 'LIMIT_RATE', M15 + 10) // in memory only
    const totals = (fromMs: number, toMs: number, tenantId = 't1') =>
      sorted(counters.totals({ tenantId, fromMs, toMs }))
    expect(totals(0, 3 * M15)).toEqual([
      { code: 'LIMIT_RATE', count: 4 },
      { code: 'OTHER', count: 1 },
    ])
    expect(totals(M15, 2 * M15)).toEqual([
      { code: 'LIMIT_RATE', count: 3 },
      { code: 'OTHER', count: 1 },
    ])
    expect(totals(0, M15)).toEqual([{ code: 'LIMIT_RATE', count: 1 }])
    expect(totals(1, 2 * M15)).toEqual(totals(M15, 2 * M15)) // a bucket is in when it starts in the range
    expect(totals(0, 3 * M15, 't2')).toEqual([{ code: 'LIMIT_RATE', count: 1 }])
    expect(totals(0, 3 * M15, 't9')).toEqual([])
    expect(db.prepare('SELECT COUNT(*) AS n FROM refusal_buckets').get()).toEqual({ n: 4 })
    counters.close()
    expect(totals(0, 3 * M15)).toEqual([
      { code: 'LIMIT_RATE', count: 4 },
      { code: 'OTHER', count: 1 },
    ])
  })

  it('counts kept per minute by the previous release are summed into buckets on the update', () => {
    migrate(db, 'refusals', REFUSAL_MIGRATIONS.slice(0, 1))
    const insert = db.prepare(
      'INSERT INTO refusal_counts (tenant_id, minute, code, count) VALUES (?, ?, ?, ?)',
    )
    for (let minute = 0; minute < 30; minute++) insert.run('t1', minute * 60_000, 'LIMIT_RATE', 2)
    insert.run('t1', 5 * 60_000, 'NO_SLOT', 7)
    insert.run('t2', 29 * 60_000, 'LIMIT_DAILY', 1)
    const counters = openRefusalCounters(db)
    expect(db.prepare('SELECT * FROM refusal_buckets ORDER BY tenant_id, bucket_start, code').all()).toEqual([
      { tenant_id: 't1', bucket_start: 0, code: 'LIMIT_RATE', count: 30 },
      { tenant_id: 't1', bucket_start: 0, code: 'NO_SLOT', count: 7 },
      { tenant_id: 't1', bucket_start: M15, code: 'LIMIT_RATE', count: 30 },
      { tenant_id: 't2', bucket_start: M15, code: 'LIMIT_DAILY', count: 1 },
    ])
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'refusal_counts'").get()).toBeUndefined()
    expect(sorted(counters.totals({ tenantId: 't1', fromMs: M15, toMs: 2 * M15 }))).toEqual([
      { code: 'LIMIT_RATE', count: 30 },
    ])
    counters.close()
  })
})
