import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAuditLog } from '../../../electron/engine/audit/audit-log'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { createUsageQueries } from '../../../electron/engine/usage/usage-queries'
import type { Tenant } from '@shared/tenant'

let dir: string
let db: Database
let ledger: Ledger
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-'))
  db = openDatabase(join(dir, 'engine.db'))
  ledger = openSqliteLedger(db)
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const begin = (id: string, tenantId = 't1', createdAt = 1_000) =>
  ledger.begin({
    attemptId: id,
    tenantId,
    captchaType: 'turnstile',
    providerAccount: 'sandbox:abc',
    source: 'api',
    createdAt,
    reservedMicros: 2_000,
  })

describe('SQLite ledger', () => {
  it('is a 0600 file and survives close and reopen', async () => {
    await begin('a1')
    await ledger.markSubmitted('a1', '100', 1_010)
    await ledger.settle('a1', {
      status: 'solved',
      readyAt: 1_500,
      endedAt: 1_500,
      threadMs: 490,
      costMicros: 2_000,
      priceMicros: 3_000,
    })
    db.close()
    expect(statSync(join(dir, 'engine.db')).mode & 0o777).toBe(0o600)
    db = openDatabase(join(dir, 'engine.db'))
    ledger = openSqliteLedger(db)
    expect(ledger.get('a1')).toMatchObject({
      status: 'solved',
      upstreamTaskId: '100',
      threadMs: 490,
      priceMicros: 3_000,
    })
  })

  it('is idempotent: repeated writes make one row; a task id is never claimed twice', async () => {
    await begin('a1')
    await begin('a1')
    await ledger.markSubmitted('a1', '100', 1_010)
    await ledger.markSubmitted('a1', '100', 1_010)
    await begin('a2')
    await expect(ledger.markSubmitted('a2', '100', 1_020)).rejects.toThrow(/already recorded/)
    expect(
      await ledger.settle('a1', {
        status: 'failed',
        errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
        endedAt: 2_000,
        threadMs: 990,
      }),
    ).toBe(true)
    expect(
      await ledger.settle('a1', {
        status: 'solved',
        readyAt: 2_000,
        endedAt: 2_000,
        threadMs: 1,
        costMicros: 1,
        priceMicros: 1,
      }),
    ).toBe(false)
    expect(ledger.get('a1')).toMatchObject({ status: 'failed', priceMicros: 0 })
    const n = db.prepare('SELECT COUNT(*) AS n FROM attempts').get() as { n: number }
    expect(n.n).toBe(2)
  })

  it('the database itself refuses billing a failure, editing an ended row, or deleting history', async () => {
    await begin('a1')
    await ledger.settle('a1', { status: 'failed', errorCode: 'X', endedAt: 2_000, threadMs: 0 })
    expect(() => db.prepare("UPDATE attempts SET price_micros = 5 WHERE attempt_id = 'a1'").run()).toThrow(
      /never changes/,
    )
    expect(() => db.prepare("DELETE FROM attempts WHERE attempt_id = 'a1'").run()).toThrow(/never deleted/)
    await begin('a2')
    expect(() =>
      db
        .prepare(
          "UPDATE attempts SET status = 'failed', ended_at = 5, price_micros = 7 WHERE attempt_id = 'a2'",
        )
        .run(),
    ).toThrow(/CHECK/)
  })

  it('group commits: many concurrent writes, each durable when its promise resolves', async () => {
    await Promise.all(Array.from({ length: 500 }, (_, i) => begin(`b${i}`)))
    expect(ledger.openAttempts()).toHaveLength(500)
    expect(ledger.openByTenant().get('t1')).toBe(500)
  })

  it('usage by local day splits at the tenant’s midnight', async () => {
    const tenant = { id: 't1', timezone: 'America/New_York', status: 'active' } as Tenant
    const usage = createUsageQueries(ledger, {
      list: () => [tenant],
      get: (id) => (id === tenant.id ? tenant : undefined),
    })
    const at = (iso: string) => Date.parse(iso)
    for (const [id, iso, status] of [
      ['x1', '2026-11-02T04:30:00Z', 'solved'], // 23:30 on Nov 1 in New York
      ['x2', '2026-11-02T05:30:00Z', 'solved'], // 00:30 on Nov 2
      ['x3', '2026-11-02T06:00:00Z', 'failed'],
    ] as const) {
      await ledger.begin({
        attemptId: id,
        tenantId: 't1',
        captchaType: 'image',
        providerAccount: 'p',
        source: 'api',
        createdAt: at(iso),
        reservedMicros: 0,
      })
      if (status === 'solved')
        await ledger.settle(id, {
          status,
          readyAt: at(iso),
          endedAt: at(iso),
          threadMs: 1_000,
          costMicros: 1_000,
          priceMicros: 1_500,
        })
      else
        await ledger.settle(id, {
          status,
          errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
          endedAt: at(iso),
          threadMs: 500,
        })
    }
    // Databases from before the refusal counters may hold refusals as 'rejected' rows; usage still counts them.
    ledger.flush()
    db.prepare(
      `INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, status, error_code, source, created_at, ended_at, settled_at)
       VALUES ('r1', 't1', 'image', '-', 'rejected', 'LIMIT_RATE', 'api', ?, ?, ?)`,
    ).run(at('2026-11-02T07:00:00Z'), at('2026-11-02T07:00:00Z'), at('2026-11-02T07:00:00Z'))
    const rows = usage.byDay([tenant.id], '2026-11-01', '2026-11-02')
    expect(rows.map((r) => [r.period, r.solves, r.failures, r.rejections])).toEqual([
      ['2026-11-01', 1, 0, 0],
      ['2026-11-02', 1, 1, 1],
    ])
    expect(rows[1]!.failuresByCode).toEqual({ ERROR_CAPTCHA_UNSOLVABLE: 1 })
    expect(rows[1]!.marginMicros).toBe(500)
    expect(usage.forMonth('all', '2026-11')[0]).toMatchObject({
      solves: 2,
      priceMicros: 3_000,
      costMicros: 2_000,
      threadMs: 2_500,
    })
  })
})

describe('audit log', () => {
  it('is append-only and never stores a key', () => {
    const audit = openAuditLog(db)
    const key = 'a'.repeat(8) + '1234567890abcdef1234567890ab'
    audit.record({
      actor: 'operator',
      action: 'vault.setTenantKey',
      subjectType: 'tenant',
      subjectId: 't1',
      details: { apiKey: key, note: `key ${key}` },
    })
    const [e] = audit.list()
    expect(JSON.stringify(e)).not.toContain(key)
    expect(e!.details._redacted).toEqual(['apiKey', 'note'])
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/)
  })

  it("reads whole buckets from the usage rollup (usage, spend, a draft's lines) and the rest from the rows", async () => {
    const M15 = 900_000
    await begin('a1', 't1', 1_000)
    await ledger.markSubmitted('a1', '100', 1_010)
    await ledger.settle('a1', {
      status: 'solved',
      readyAt: M15 + 5,
      endedAt: M15 + 5,
      threadMs: 10,
      costMicros: 1_000,
      priceMicros: 1_500,
    })
    // Mark the rollup's row: reads that use it see the mark, reads from the rows do not.
    db.exec('UPDATE usage_rollup SET n = n + 100, price_micros = price_micros + 150_000')
    expect(ledger.usageTotals({ tenantId: 't1', fromMs: 0, toMs: 2 * M15 })[0]!.count).toBe(101)
    expect(ledger.spendForMonth('t1', 0, 2 * M15).spentMicros).toBe(151_500)
    expect(ledger.spendForMonth('t1', M15 + 1, M15 + 10).spentMicros).toBe(1_500) // inside one bucket: the rows
    const slice = {
      tenantId: 't1',
      endedFrom: 0,
      endedTo: 2 * M15,
      settledFrom: Number.MIN_SAFE_INTEGER,
      settledTo: Number.MAX_SAFE_INTEGER,
      selective: 'ended' as const,
    }
    expect(ledger.solvedGroups(slice)[0]!.count).toBe(101) // every record in bounds: the rollup
    // Recorded now (the ledger's clock): a slice recorded until later holds every record, one from later none.
    expect(ledger.solvedGroups({ ...slice, settledTo: Date.now() + 60_000 })[0]!.count).toBe(101)
    expect(ledger.solvedGroups({ ...slice, settledFrom: Date.now() + 60_000 })).toEqual([]) // the rows
  })
})
