import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openEngineDatabase, type EngineDatabase } from '../../support/engine-database'
import type { SettleOutcome } from '../../../electron/engine/ledger/types'

let dir: string
let engine: EngineDatabase
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-sm-'))
  engine = openEngineDatabase(join(dir, 'engine.db'), { now: () => 42 })
})
afterEach(async () => {
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

const begin = (id: string, tenantId = 't1', account = 'captchaai:abc') =>
  engine.ledger.begin({
    attemptId: id,
    tenantId,
    captchaType: 'recaptcha_v2',
    providerAccount: account,
    source: 'gateway',
    createdAt: 1_000,
    reservedMicros: 3_000,
  })
const solved: SettleOutcome = {
  status: 'solved',
  readyAt: 2_000,
  endedAt: 2_000,
  threadMs: 990,
  costMicros: 2_990,
  priceMicros: 3_000,
}
const rows = (): number =>
  Number((engine.db.prepare('SELECT COUNT(*) AS n FROM attempts').get() as { n: number }).n)

describe('ledger state machine', () => {
  it('moves pending → submitted → ended only', async () => {
    await begin('a1')
    expect(engine.ledger.get('a1')).toMatchObject({ status: 'pending', upstreamTaskId: null })
    await engine.ledger.markSubmitted('a1', 'task-1', 1_010)
    expect(engine.ledger.get('a1')).toMatchObject({ status: 'submitted', submittedAt: 1_010 })
    // A submitted attempt cannot claim a second task.
    await expect(engine.ledger.markSubmitted('a1', 'task-2', 1_020)).rejects.toThrow(/not pending/)
    expect(await engine.ledger.settle('a1', solved)).toBe(true)
    expect(engine.ledger.get('a1')).toMatchObject({ status: 'solved', priceMicros: 3_000, costMicros: 2_990 })
    // Ended: no new task, no second settlement, no change.
    await expect(engine.ledger.markSubmitted('a1', 'task-3', 1_030)).rejects.toThrow(/solved, not pending/)
    expect(
      await engine.ledger.settle('a1', { status: 'failed', errorCode: 'X', endedAt: 3_000, threadMs: 0 }),
    ).toBe(false)
    expect(engine.ledger.get('a1')).toMatchObject({ status: 'solved', endedAt: 2_000, priceMicros: 3_000 })
    expect(engine.ledger.openAttempts()).toEqual([])
  })

  it('rejects unknown attempts, foreign re-begins and nonsense outcomes, changing nothing', async () => {
    await expect(engine.ledger.markSubmitted('nope', 't', 1)).rejects.toThrow(/unknown attempt/)
    await expect(engine.ledger.settle('nope', solved)).rejects.toThrow(/unknown attempt/)
    await begin('a1')
    await expect(begin('a1', 't2')).rejects.toThrow(/another tenant/)
    for (const bad of [
      { status: 'pending', errorCode: null, endedAt: 1, threadMs: 0 },
      { status: 'rejected', errorCode: 'X', endedAt: 1, threadMs: 0 },
      { status: 'failed', errorCode: 'X', endedAt: Number.NaN, threadMs: 0 },
      { ...solved, costMicros: 1.5 },
      { ...solved, priceMicros: -1 },
    ]) {
      await expect(engine.ledger.settle('a1', bad as SettleOutcome)).rejects.toThrow()
    }
    expect(engine.ledger.get('a1')).toMatchObject({ status: 'pending', endedAt: null, priceMicros: 0 })
    expect(rows()).toBe(1)
  })

  it('a failed write in a group commit rolls back alone; its neighbours commit', async () => {
    await begin('a1')
    await begin('a2')
    const results = await Promise.allSettled([
      engine.ledger.markSubmitted('a1', 'task-1', 1_010),
      engine.ledger.markSubmitted('a2', 'task-1', 1_010), // same task, other attempt: refused
      begin('a3'),
      engine.ledger.settle('a2', { ...solved, priceMicros: -5 }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
    expect(engine.ledger.get('a1')?.upstreamTaskId).toBe('task-1')
    expect(engine.ledger.get('a2')).toMatchObject({ status: 'pending', upstreamTaskId: null })
    expect(engine.ledger.get('a3')?.status).toBe('pending')
  })

  it('the same task id is fine on another provider account; the database enforces uniqueness per account', async () => {
    await begin('a1', 't1', 'captchaai:one')
    await begin('a2', 't1', 'captchaai:two')
    await engine.ledger.markSubmitted('a1', '777', 1)
    await engine.ledger.markSubmitted('a2', '777', 1)
    expect(engine.ledger.findByUpstreamTask('captchaai:two', '777')?.attemptId).toBe('a2')
    await begin('a3', 't1', 'captchaai:one')
    expect(() =>
      engine.db
        .prepare("UPDATE attempts SET status = 'submitted', upstream_task_id = '777' WHERE attempt_id = 'a3'")
        .run(),
    ).toThrow(/UNIQUE/)
  })

  it('the database refuses floats for money and unknown statuses', () => {
    const insert = (status: string, price: number) => () =>
      engine.db
        .prepare(
          `INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, status, source, created_at, ended_at, price_micros)
           VALUES (?, 't1', 'image', 'p', ?, 'api', 1, 2, ?)`,
        )
        .run(`raw-${status}-${price}`, status, price)
    expect(insert('solved', 1.5)).toThrow()
    expect(insert('paid', 0)).toThrow(/CHECK/)
    expect(insert('rejected', 10)).toThrow(/CHECK/)
    expect(insert('solved', 10)).not.toThrow()
  })

  it('admission queries: daily count, monthly spend and reservations, open per tenant', async () => {
    await begin('a1')
    await begin('a2')
    await begin('a3', 't2')
    await engine.ledger.settle('a1', solved)
    await engine.ledger.settle('a2', {
      status: 'timed_out',
      errorCode: null,
      endedAt: 9_000,
      threadMs: 8_000,
    })
    await begin('a4')
    expect(engine.ledger.countForDay('t1', 0, 2_000)).toEqual({ solved: 1, open: 1 })
    expect(engine.ledger.countForDay('t1', 2_000, 3_000)).toEqual({ solved: 0, open: 0 })
    // Spend is the price of solves by endedAt; reservations are open attempts' holds.
    expect(engine.ledger.spendForMonth('t1', 0, 10_000)).toEqual({
      spentMicros: 3_000,
      reservedMicros: 3_000,
    })
    expect(engine.ledger.spendForMonth('t1', 2_001, 10_000)).toEqual({ spentMicros: 0, reservedMicros: 0 })
    expect([...engine.ledger.openByTenant()].sort()).toEqual([
      ['t1', 1],
      ['t2', 1],
    ])
  })

  it('openEngineDatabase puts ledger and audit on one 0600 file that reopens intact', async () => {
    await begin('a1')
    engine.audit.record({ actor: 'op', action: 'tenant.create', subjectType: 'tenant', subjectId: 't1' })
    await engine.close()
    expect(statSync(join(dir, 'engine.db')).mode & 0o777).toBe(0o600)
    engine = openEngineDatabase(join(dir, 'engine.db'))
    expect(engine.ledger.get('a1')?.status).toBe('pending')
    expect(engine.audit.list()).toHaveLength(1)
    const versions = engine.db
      .prepare('SELECT component, version FROM schema_versions ORDER BY component')
      .all()
    expect(versions).toEqual([
      { component: 'audit', version: 1 },
      { component: 'ledger', version: 5 },
    ])
  })
})
