import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { migrate } from '../../../electron/engine/db/migrations'
import { LEDGER_MIGRATIONS } from '../../../electron/engine/ledger/schema'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'

let dir: string
let db: Database
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-schema-'))
  db = openDatabase(join(dir, 'engine.db'))
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const plan = (sql: string, ...args: Array<string | number>): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>)
    .map((r) => r.detail)
    .join('; ')

const indexSql = (name: string): string | undefined =>
  (
    db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").get(name) as
      { sql: string } | undefined
  )?.sql

describe('ledger schema', () => {
  it('a ledger from before the partial indexes keeps every row and reads the same after the migration', async () => {
    // The file as the previous release left it: the first two migrations, with ended, open and late rows.
    migrate(db, 'ledger', LEDGER_MIGRATIONS.slice(0, 2))
    const insert = db.prepare(`INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account,
      upstream_task_id, status, source, created_at, ended_at, price_micros, settled_at)
      VALUES (?, 't1', 'image', 'acct', ?, ?, 'gateway', ?, ?, ?, ?)`)
    insert.run('solved-may', '1', 'solved', 1_000, 2_000, 5_000, 2_000)
    insert.run('solved-late', '2', 'solved', 1_500, 2_500, 7_000, 9_000)
    insert.run('failed', '3', 'failed', 1_600, 2_600, 0, 2_600)
    insert.run('open', null, 'pending', 1_700, null, 0, null)
    expect(indexSql('attempts_ended')).toBeDefined()

    const migrated: number[] = []
    const ledger = openSqliteLedger(db, { onMigrated: (version) => migrated.push(version) })
    expect(migrated).toEqual([3])
    expect(indexSql('attempts_ended')).toBeUndefined()
    expect(indexSql('attempts_tenant_ended')).toMatch(/WHERE ended_at IS NOT NULL/)
    expect(indexSql('attempts_tenant_settled')).toMatch(/WHERE settled_at IS NOT NULL/)
    expect(Number((db.prepare('SELECT COUNT(*) AS n FROM attempts').get() as { n: number }).n)).toBe(4)
    expect(ledger.spendForMonth('t1', 0, 3_000)).toEqual({ spentMicros: 12_000, reservedMicros: 0 })
    expect(ledger.firstSolveAt('t1')).toBe(2_000)
    // Late usage: the row recorded in [5000, 10000) for May, through each partial index.
    for (const selective of ['ended', 'settled'] as const) {
      const slice = {
        tenantId: 't1',
        endedFrom: 0,
        endedTo: 3_000,
        settledFrom: 5_000,
        settledTo: 10_000,
        selective,
      }
      expect(ledger.solvedGroups(slice).map((g) => g.amountMicros)).toEqual([7_000])
      expect(ledger.solvedRows(slice, { endedAt: 0, attemptId: '' }, 10).map((r) => r[0])).toEqual([
        'solved-late',
      ])
    }
    expect(ledger.openAttempts().map((a) => a.attemptId)).toEqual(['open'])

    // An attempt still open is in neither partial index; once it ends, it is in both.
    const inIndex = (index: string): number =>
      Number(
        (
          db
            .prepare(
              `SELECT COUNT(*) AS n FROM attempts INDEXED BY ${index} WHERE tenant_id = 't1' AND ended_at >= 0 AND settled_at >= 0`,
            )
            .get() as { n: number }
        ).n,
      )
    expect(inIndex('attempts_tenant_ended')).toBe(3)
    await ledger.settle('open', {
      status: 'failed',
      errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
      endedAt: 2_700,
      threadMs: 0,
    })
    expect(inIndex('attempts_tenant_ended')).toBe(4)
    expect(inIndex('attempts_tenant_settled')).toBe(4)
    await ledger.close()
  })

  it('the month reads still find their rows through the partial indexes', () => {
    openSqliteLedger(db)
    expect(
      plan(
        "SELECT SUM(price_micros) FROM attempts WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ?",
        't1',
        0,
        1,
      ),
    ).toContain('USING INDEX attempts_tenant_ended')
    expect(
      plan(
        "SELECT MIN(ended_at) FROM attempts WHERE tenant_id = ? AND status = 'solved' AND ended_at IS NOT NULL",
        't1',
      ),
    ).toContain('attempts_tenant_ended')
  })
})
