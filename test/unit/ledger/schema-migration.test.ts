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
    expect(migrated).toEqual([3, 4, 5])
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

  it('a ledger from before the usage rollup gets it from its ended rows, and the triggers keep it equal to them', async () => {
    migrate(db, 'ledger', LEDGER_MIGRATIONS.slice(0, 3))
    const insert = db.prepare(`INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account,
      upstream_task_id, status, error_code, source, created_at, ended_at, thread_ms, cost_micros, price_micros)
      VALUES (?, ?, ?, 'acct', ?, ?, ?, 'gateway', 1_000, ?, ?, ?, ?)`)
    const M15 = 900_000
    insert.run('a', 't1', 'image', '1', 'solved', null, 2_000, 500, 1_000, 1_500)
    insert.run('b', 't1', 'image', '2', 'solved', null, M15 - 1, 700, 1_000, 1_500)
    insert.run('c', 't1', 'turnstile', '3', 'solved', null, M15, 300, 2_000, 3_000)
    insert.run('d', 't1', 'image', '4', 'failed', 'ERROR_CAPTCHA_UNSOLVABLE', 5_000, 900, 0, 0)
    insert.run('e', 't2', 'image', '5', 'timed_out', null, 6_000, 0, 0, 0)
    insert.run('f', 't1', 'image', null, 'rejected', 'DAILY_LIMIT', 7_000, 0, 0, 0)
    insert.run('open', 't1', 'image', '6', 'submitted', null, null, 0, 0, 0)
    const raw = () =>
      db
        .prepare(
          `SELECT tenant_id, (ended_at / ${M15}) * ${M15} AS bucket_start, captcha_type, status,
             COALESCE(error_code, '') AS error_code, price_micros AS unit_price, COUNT(*) AS n, SUM(thread_ms) AS thread_ms,
             SUM(cost_micros) AS cost_micros, SUM(price_micros) AS price_micros
           FROM attempts WHERE ended_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
        )
        .all()
    const rollup = () =>
      db
        .prepare(
          'SELECT * FROM usage_rollup ORDER BY tenant_id, bucket_start, captcha_type, status, error_code, unit_price',
        )
        .all()

    const migrated: number[] = []
    const ledger = openSqliteLedger(db, { onMigrated: (version) => migrated.push(version) })
    expect(migrated).toEqual([4, 5])
    expect(rollup()).toEqual(raw())
    expect(rollup()).toHaveLength(5)
    expect(ledger.usageTotals({ tenantId: 't1', fromMs: 0, toMs: M15 })).toEqual(
      expect.arrayContaining([
        {
          status: 'solved',
          errorCode: null,
          count: 2,
          threadMs: 1_200,
          costMicros: 2_000,
          priceMicros: 3_000,
        },
        {
          status: 'rejected',
          errorCode: 'DAILY_LIMIT',
          count: 1,
          threadMs: 0,
          costMicros: 0,
          priceMicros: 0,
        },
      ]),
    )

    // Settling through the ledger (the open row, and new attempts) keeps the rollup equal to the rows.
    await ledger.settle('open', {
      status: 'solved',
      readyAt: M15 + 10,
      endedAt: M15 + 10,
      threadMs: 40,
      costMicros: 1_000,
      priceMicros: 1_500,
    })
    const begin = (attemptId: string) =>
      ledger.begin({
        attemptId,
        tenantId: 't1',
        captchaType: 'image',
        providerAccount: 'acct',
        source: 'api',
        createdAt: 2_000,
        reservedMicros: 0,
      })
    for (const [id, ended] of [
      ['g', 2_500],
      ['h', 3 * M15],
    ] as const) {
      await begin(id)
      await ledger.markSubmitted(id, `task-${id}`, 2_100)
      await ledger.settle(id, { status: 'failed', errorCode: null, endedAt: ended, threadMs: 10 })
    }
    await begin('still-open')
    // A row written already ended (as older releases wrote refusals) is counted too.
    insert.run('i', 't2', 'image', null, 'rejected', 'NO_SLOT', 4 * M15, 0, 0, 0)
    expect(rollup()).toEqual(raw())
    expect(rollup()).toHaveLength(9)
    // A settle that changes nothing (the row has ended) adds nothing.
    await ledger.settle('g', { status: 'failed', errorCode: null, endedAt: 2_600, threadMs: 10 })
    expect(rollup()).toEqual(raw())
    await ledger.close()
  })

  it("the usage read sums bucket rows through the rollup's key, not the attempts", () => {
    openSqliteLedger(db)
    const sql = plan(
      `SELECT status, error_code, SUM(n) FROM usage_rollup WHERE tenant_id = ? AND bucket_start >= ? AND bucket_start < ?
       GROUP BY status, error_code`,
      't1',
      0,
      1,
    )
    expect(sql).toContain(
      'SEARCH usage_rollup USING PRIMARY KEY (tenant_id=? AND bucket_start>? AND bucket_start<?)',
    )
    expect(sql).not.toContain('attempts')
  })

  it('open attempts move to the index of those not ended: the same reads, and fewer pages when a task is submitted', async () => {
    migrate(db, 'ledger', LEDGER_MIGRATIONS.slice(0, 4))
    db.exec('PRAGMA wal_autocheckpoint = 0')
    const frames = () => Number((db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number }).log)
    const open =
      db.prepare(`INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, status, source,
      created_at, reserved_micros) VALUES (?, ?, 'turnstile', 'acct', 'pending', 'gateway', ?, 500)`)
    // The ledger's own statement for marking a task submitted, one commit each (as the gateway's in.php path runs it).
    const submit = db.prepare(
      `UPDATE attempts SET status = 'submitted', upstream_task_id = ?, submitted_at = ? WHERE attempt_id = ? AND status = 'pending'`,
    )
    const pagesPerSubmit = (prefix: string): number => {
      for (let i = 0; i < 300; i++) open.run(`${prefix}-${i}`, i % 2 ? 't1' : 't2', 1_000 + i)
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      const f0 = frames()
      for (let i = 0; i < 300; i++) submit.run(`${prefix}-up-${i}`, 2_000, `${prefix}-${i}`)
      return (frames() - f0) / 300
    }
    const before = pagesPerSubmit('old')

    const migrated: number[] = []
    const ledger = openSqliteLedger(db, { onMigrated: (v) => migrated.push(v) })
    expect(migrated).toEqual([5])
    expect(indexSql('attempts_open')).toBeUndefined()
    expect(indexSql('attempts_unended')).toMatch(/\(created_at\) WHERE ended_at IS NULL/)
    const after = pagesPerSubmit('new')
    expect(after).toBeLessThanOrEqual(before - 1)

    // The open attempts read as before: oldest first, per tenant, with what they reserve; an ended one leaves them.
    await ledger.settle('old-0', { status: 'failed', errorCode: null, endedAt: 5_000, threadMs: 0 })
    const ids = ledger.openAttempts().map((a) => a.attemptId)
    expect(ids).toHaveLength(599)
    expect(ids.slice(0, 3)).toEqual(['new-0', 'old-1', 'new-1'])
    const created = ledger.openAttempts().map((a) => a.createdAt)
    expect(created).toEqual([...created].sort((a, b) => a - b))
    expect(ledger.openByTenant()).toEqual(
      new Map([
        ['t1', 300],
        ['t2', 299],
      ]),
    )
    expect(ledger.spendForMonth('t1', 0, 10_000)).toEqual({ spentMicros: 0, reservedMicros: 300 * 500 })
    expect(ledger.spendForMonth('t2', 0, 1_150)).toEqual({ spentMicros: 0, reservedMicros: (74 + 75) * 500 })
    expect(
      plan(
        "SELECT * FROM attempts WHERE ended_at IS NULL AND status IN ('pending','submitted') ORDER BY created_at",
      ),
    ).toContain('attempts_unended')
    await ledger.close()
  })
})
